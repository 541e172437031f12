package dev.dcache.aux.snapshot;

import dev.dcache.common.record.CorruptRecordException;
import dev.dcache.common.record.CrcFraming;
import dev.dcache.common.record.EntryRecords;
import dev.dcache.common.value.StoredValue;
import dev.dcache.common.wire.Entry;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;

import static dev.dcache.aux.snapshot.SnapshotFormat.HEADER_SIZE;
import static dev.dcache.aux.snapshot.SnapshotFormat.TRAILER_SIZE;

/**
 * Reads {@link SnapshotFormat}. Every check the format defines is made on every read, so
 * {@link #verify} (no strings built, nothing handed out) can prove a file whole before
 * {@link #read} feeds it to a cache: a damaged file is then rejected before any record is
 * applied.
 */
final class SnapshotReader {
    private static final int BUFFER = 1 << 16;

    private SnapshotReader() {
    }

    /**
     * Checks the whole file: header, framing of every record, count and checksums.
     *
     * @throws CorruptSnapshotException saying what is wrong with the file
     * @throws IOException              when it cannot be read at all
     */
    static SnapshotFormat.Header verify(Path file) throws IOException, CorruptSnapshotException {
        return scan(file, null);
    }

    /**
     * Hands every record to {@code sink} in file order. The checks of {@link #verify} are made
     * as it goes, so a damaged file fails, but only after the records before the damage were
     * handed out: verify first.
     */
    static SnapshotFormat.Header read(Path file, Consumer<Entry> sink) throws IOException, CorruptSnapshotException {
        return scan(file, sink);
    }

    private static SnapshotFormat.Header scan(Path file, Consumer<Entry> sink)
            throws IOException, CorruptSnapshotException {
        if (!Files.isRegularFile(file)) {
            throw new CorruptSnapshotException(Files.isDirectory(file) ? "a directory, not a file" : "not a regular file");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                throw new CorruptSnapshotException("empty file");
            }
            if (size < HEADER_SIZE + TRAILER_SIZE) {
                throw new CorruptSnapshotException("truncated: " + size + " bytes, less than the "
                        + (HEADER_SIZE + TRAILER_SIZE) + "-byte header and trailer");
            }
            SnapshotFormat.Header header = readHeader(ch, size);
            long bodySize = size - HEADER_SIZE - TRAILER_SIZE;
            CRC32C crc = new CRC32C();
            DataInputStream in = new DataInputStream(new BufferedInputStream(
                    new CheckedInputStream(new Bounded(Channels.newInputStream(ch.position(HEADER_SIZE)), bodySize), crc),
                    BUFFER));
            Consumer<Entry> records = sink == null || header.storedValues() ? sink
                    : e -> sink.accept(new Entry(e.key(), StoredValue.fromPlainString(e.value()), e.version(), e.expiresAt()));
            long consumed = new Records(in, bodySize, records).readAll(header.count());
            if (consumed != bodySize) {
                throw new CorruptSnapshotException((bodySize - consumed) + " unexpected bytes after record "
                        + header.count() + " (truncated or damaged)");
            }
            ByteBuffer trailer = readAt(ch, size - TRAILER_SIZE, TRAILER_SIZE);
            int expected = trailer.getInt();
            if (expected != (int) crc.getValue()) {
                throw new CorruptSnapshotException("body checksum mismatch: trailer says "
                        + Integer.toHexString(expected) + ", records hash to " + Long.toHexString(crc.getValue()));
            }
            return header;
        }
    }

    private static SnapshotFormat.Header readHeader(FileChannel ch, long size) throws IOException, CorruptSnapshotException {
        ByteBuffer b = readAt(ch, 0, HEADER_SIZE);
        byte[] magic = new byte[SnapshotFormat.MAGIC.length];
        b.get(magic);
        if (!Arrays.equals(magic, SnapshotFormat.MAGIC)) {
            throw new CorruptSnapshotException("not a snapshot: magic bytes are " + HexFormat.ofDelimiter(" ").formatHex(magic));
        }
        int version = Short.toUnsignedInt(b.getShort());
        if (version != SnapshotFormat.VERSION) {
            throw new CorruptSnapshotException("unsupported format version " + version + " (this build reads "
                    + SnapshotFormat.VERSION + ")");
        }
        int flags = Short.toUnsignedInt(b.getShort());
        long createdAt = b.getLong();
        long count = b.getLong();
        int expected = b.getInt();
        if (expected != CrcFraming.crc32c(b.array(), 0, HEADER_SIZE - 4)) {
            throw new CorruptSnapshotException("header checksum mismatch");
        }
        long bodySize = size - HEADER_SIZE - TRAILER_SIZE;
        if (count < 0 || count > bodySize / SnapshotFormat.RECORDS.minSize()) {
            throw new CorruptSnapshotException("header claims " + count + " records, impossible in " + bodySize
                    + " bytes of body (truncated?)");
        }
        return new SnapshotFormat.Header(version, flags, createdAt, count);
    }

    private static ByteBuffer readAt(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                throw new EOFException("file shrank while being read");
            }
        }
        return b.flip();
    }

    /** Walks the records through {@link EntryRecords.Reader}, saying which record is damaged. */
    private static final class Records {
        private final EntryRecords.Reader in;
        private final Consumer<Entry> sink;

        Records(DataInputStream in, long bodySize, Consumer<Entry> sink) {
            this.in = new EntryRecords.Reader(in, SnapshotFormat.RECORDS, bodySize);
            this.sink = sink;
        }

        /** @return body bytes consumed */
        long readAll(long count) throws IOException, CorruptSnapshotException {
            for (long i = 0; i < count; i++) {
                long offset = in.consumed();
                try {
                    if (sink == null) {
                        in.skip();
                    } else {
                        sink.accept(in.next());
                    }
                } catch (EOFException e) {
                    throw new CorruptSnapshotException("truncated: the body ends inside record " + (i + 1) + " of " + count);
                } catch (CorruptRecordException e) {
                    throw new CorruptSnapshotException("record " + (i + 1) + " at body offset " + offset + ": "
                            + e.getMessage());
                }
            }
            return in.consumed();
        }
    }

    /** At most {@code limit} bytes of {@code in}: the body, so the running CRC never sees the trailer. */
    private static final class Bounded extends InputStream {
        private final InputStream in;
        private long left;

        Bounded(InputStream in, long limit) {
            this.in = in;
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }
}
