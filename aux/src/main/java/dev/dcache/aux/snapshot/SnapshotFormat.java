package dev.dcache.aux.snapshot;

import dev.dcache.common.record.CrcFraming;
import dev.dcache.common.record.EntryRecords;
import dev.dcache.common.value.StoredValue;

import java.nio.ByteBuffer;

/**
 * The snapshot file format, version 1. All numbers are big-endian.
 *
 * <pre>
 * header (32 bytes)
 *   0  8  magic          0x89 'D' 'C' 'S' 'N' 'A' 'P' '\n'
 *   8  2  format version 1
 *  10  2  flags          bit 0 {@link #FLAG_STORED_VALUES}; the others 0 (reserved)
 *  12  8  current as of  epoch milliseconds up to which the data was known current with the
 *                        cluster: when the write began, or, for a node that may have missed writes
 *                        (recovering), its last contact with a master before that
 *  20  8  record count
 *  28  4  header CRC32C  over bytes 0..27
 * records (record count of them, from byte 32), {@link EntryRecords.Layout#KIND_FIRST}
 *      1  kind           1 = value, 2 = tombstone
 *      8  version        the master-assigned write version
 *      8  expires at     absolute epoch milliseconds, 0 for none
 *      4  key length     n, then n bytes of UTF-8
 *      4  value length   m, then m bytes of UTF-8 (value records only)
 * trailer (4 bytes)
 *      4  body CRC32C    over every record byte, from byte 32 to the trailer
 * </pre>
 *
 * <p>Every byte is covered by exactly one checksum. The header has its own because the writer
 * streams the records without knowing how many there will be: it reserves the header, streams
 * the records through a running CRC, appends the trailer and only then writes the header with
 * the final count. A reader checks the magic, the version and the header CRC, walks exactly
 * {@code record count} records (every length must fit in what is left), requires the walk to end
 * exactly at the trailer, and compares the body CRC. Anything else is a damaged file.
 *
 * <p>Records appear in {@link dev.dcache.aux.cache.LruCache#forEach} order: segment by segment,
 * least recently used first within each, so loading them in file order through
 * {@code LruCache.put} leaves the most recently used ones when the capacity has shrunk. Strings
 * are encoded as standard UTF-8, as on the binary wire protocol; a string holding an unpaired
 * surrogate is not representable and comes back with {@code '?'} in its place.
 */
final class SnapshotFormat {
    /** The committed snapshot in the data directory. */
    static final String FILE_NAME = "snapshot.bin";
    /** Where a snapshot is written before it is renamed over {@link #FILE_NAME}. */
    static final String TMP_NAME = "snapshot.tmp";
    /** Prefix of a damaged snapshot moved aside at start; the epoch milliseconds follow. */
    static final String CORRUPT_PREFIX = FILE_NAME + ".corrupt-";

    static final byte[] MAGIC = {(byte) 0x89, 'D', 'C', 'S', 'N', 'A', 'P', '\n'};
    static final int VERSION = 1;
    /**
     * Flag: values are in {@link StoredValue}'s encoding. A file without it was written before
     * values had forms other than a JSON string; its values go through
     * {@link StoredValue#fromPlainString} when read. (A flag rather than a new version: a build
     * from before reads such a file, ignoring flags, as it always did.)
     */
    static final int FLAG_STORED_VALUES = 1;
    static final int HEADER_SIZE = 32;
    static final int TRAILER_SIZE = 4;
    /** How each record is encoded. */
    static final EntryRecords.Layout RECORDS = EntryRecords.Layout.KIND_FIRST;

    private SnapshotFormat() {
    }

    /** The decoded header. */
    record Header(int version, int flags, long createdAtMillis, long count) {
        /** True when the values are in {@link StoredValue}'s encoding. */
        boolean storedValues() {
            return (flags & FLAG_STORED_VALUES) != 0;
        }
    }

    /** The 32 header bytes for {@code count} records, checksum included. */
    static ByteBuffer encodeHeader(long createdAtMillis, long count) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE);
        b.put(MAGIC).putShort((short) VERSION).putShort((short) FLAG_STORED_VALUES).putLong(createdAtMillis).putLong(count);
        b.putInt(CrcFraming.crc32c(b.array(), 0, HEADER_SIZE - 4));
        return b.flip();
    }
}
