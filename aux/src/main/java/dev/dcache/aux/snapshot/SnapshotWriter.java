package dev.dcache.aux.snapshot;

import dev.dcache.aux.cache.LruCache;
import dev.dcache.common.record.EntryRecords;
import dev.dcache.common.wire.Entry;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

import static dev.dcache.aux.snapshot.SnapshotFormat.HEADER_SIZE;

/**
 * Streams a cache into {@link SnapshotFormat} and commits it atomically: write
 * {@code snapshot.tmp}, fsync it, rename it over {@code snapshot.bin}, fsync the directory. A crash
 * at any point leaves either the previous {@code snapshot.bin} or the new one, never a mix; a
 * leftover {@code snapshot.tmp} is incomplete by construction.
 *
 * <p>Records flow straight from {@link LruCache#forEach} (one segment copied at a time) through a
 * 64 KiB buffer into the file, so memory use is bounded by one segment's records, not the cache.
 */
final class SnapshotWriter {
    private static final int BUFFER = 1 << 16;

    private SnapshotWriter() {
    }

    /** What a committed write produced. */
    record Written(long records, long bytes) {
    }

    /**
     * Writes {@code cache} to {@code dir/snapshot.bin}. On failure the temporary file is removed
     * (best effort) and the previous snapshot is untouched.
     *
     * @throws IOException when any step fails; the committed snapshot is then the previous one
     */
    static Written write(LruCache cache, Path dir, long createdAtMillis) throws IOException {
        Path tmp = dir.resolve(SnapshotFormat.TMP_NAME);
        long records;
        long bytes;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.position(HEADER_SIZE); // the header goes in last, once the count is known
            CRC32C crc = new CRC32C();
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                    new CheckedOutputStream(Channels.newOutputStream(ch), crc), BUFFER));
            RecordSink sink = new RecordSink(out);
            try {
                cache.forEach(sink);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            out.flush();
            writeFully(ch, ByteBuffer.allocate(SnapshotFormat.TRAILER_SIZE).putInt((int) crc.getValue()).flip(),
                    ch.position());
            writeFully(ch, SnapshotFormat.encodeHeader(createdAtMillis, sink.records), 0);
            ch.force(true);
            records = sink.records;
            bytes = ch.size();
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        Files.move(tmp, dir.resolve(SnapshotFormat.FILE_NAME), StandardCopyOption.ATOMIC_MOVE);
        // the rename lives in the directory: without this a crash could bring the old file back
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
        return new Written(records, bytes);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        while (b.hasRemaining()) {
            position += ch.write(b, position);
        }
    }

    /** Encodes records as {@link LruCache#forEach} hands them over. */
    private static final class RecordSink implements Consumer<Entry> {
        private final DataOutputStream out;
        long records;

        RecordSink(DataOutputStream out) {
            this.out = out;
        }

        @Override
        public void accept(Entry e) {
            try {
                EntryRecords.write(out, e, SnapshotFormat.RECORDS);
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            records++;
        }
    }
}
