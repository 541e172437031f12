package dev.dcache.master.backup;

import dev.dcache.common.record.CrcFraming;
import dev.dcache.common.record.EntryRecords;
import dev.dcache.common.wire.Entry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * The master's backup of records moved between aux nodes, on the shared volume
 * ({@code BACKUP_DIR}).
 *
 * <p>Crash-safe by construction: each master appends only to its own file
 * ({@code <masterId>.backup}), so masters sharing the volume never interleave writes. Every
 * record is one {@link CrcFraming} frame, {@code int length | int crc32c | payload}, and the file
 * is forced to disk after each append batch. A crash mid-append leaves at most a torn last frame,
 * which the reader detects by its length or checksum and ignores. Payload: one
 * {@link EntryRecords.Layout#KEY_FIRST} record (key, value or a tombstone marker, version,
 * absolute expiry), so restores keep versions and TTLs. Reading merges every master's file
 * keeping the highest version per key. A file past {@code compactBytes} is rewritten with only
 * the newest record per key (temporary file, fsync, atomic rename).
 */
public final class BackupLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackupLog.class);
    static final String SUFFIX = ".backup";
    /** How each frame's payload is encoded. */
    private static final EntryRecords.Layout RECORDS = EntryRecords.Layout.KEY_FIRST;
    /** A longer frame is taken for damage. */
    private static final int MAX_FRAME = 64 << 20;

    private final Path dir;
    private final Path file;
    private final long compactBytes;
    /** Guarded by {@code this}. */
    private FileChannel channel;
    /** Guarded by {@code this}. */
    private long compactAt;

    /**
     * @param dir          the shared backup directory (created if missing)
     * @param masterId     this master's id: names its file
     * @param compactBytes rewrite the file once it grows past this
     */
    public BackupLog(Path dir, String masterId, long compactBytes) throws IOException {
        this.dir = dir;
        this.file = dir.resolve(masterId.replaceAll("[^A-Za-z0-9._-]", "_") + SUFFIX);
        this.compactBytes = compactBytes;
        Files.createDirectories(dir);
        this.channel = open();
        this.compactAt = compactBytes;
    }

    private FileChannel open() throws IOException {
        FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        c.position(validLength(c));
        c.truncate(c.position()); // drop a torn tail left by a crash
        return c;
    }

    /** Appends records and forces them to disk. */
    public synchronized void append(Iterable<Entry> records) throws IOException {
        write(channel, records);
        if (channel.size() > compactAt) {
            compact();
        }
    }

    private static void write(FileChannel channel, Iterable<Entry> records) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(buf);
        for (Entry e : records) {
            CrcFraming.writeFrame(out, EntryRecords.encode(e, RECORDS));
        }
        ByteBuffer bytes = ByteBuffer.wrap(buf.toByteArray());
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
        channel.force(false);
    }

    /** Rewrites this master's file with only the newest record per key. */
    private void compact() throws IOException {
        Map<String, Entry> newest = new HashMap<>();
        readFile(file, newest);
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            write(out, newest.values());
        }
        channel.close();
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDir();
        channel = open();
        // live data larger than the threshold: let the file double before compacting again
        compactAt = Math.max(compactBytes, 2 * channel.size());
        log.info("backup {} compacted to {} records", file.getFileName(), newest.size());
    }

    private void forceDir() {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            log.debug("cannot fsync directory {}: {}", dir, e.toString());
        }
    }

    /** True when any master's backup file in {@code dir} holds data. */
    public static boolean hasData(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                if (Files.size(f) > 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Every master's records in {@code dir}, the highest version per key. */
    public static Map<String, Entry> readAll(Path dir) throws IOException {
        Map<String, Entry> newest = new HashMap<>();
        if (!Files.isDirectory(dir)) {
            return newest;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                readFile(f, newest);
            }
        }
        return newest;
    }

    private static void readFile(Path f, Map<String, Entry> into) throws IOException {
        try (InputStream raw = Files.newInputStream(f);
             DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16))) {
            for (byte[] frame = nextFrame(in); frame != null; frame = nextFrame(in)) {
                Entry e = EntryRecords.decode(frame, RECORDS);
                into.merge(e.key(), e, (a, b) -> a.version() >= b.version() ? a : b);
            }
        }
    }

    /** The next valid frame's payload, or null at the end or at a torn or corrupt frame. */
    private static byte[] nextFrame(DataInputStream in) throws IOException {
        return CrcFraming.readFrame(in, MAX_FRAME);
    }

    /** Bytes of whole, valid frames at the start of the file. */
    private static long validLength(FileChannel c) throws IOException {
        long pos = 0;
        c.position(0);
        DataInputStream in = new DataInputStream(new BufferedInputStream(java.nio.channels.Channels.newInputStream(c), 1 << 16));
        for (byte[] frame = nextFrame(in); frame != null; frame = nextFrame(in)) {
            pos += CrcFraming.OVERHEAD + frame.length;
        }
        return pos;
    }

    /** The file this master appends to. */
    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }
}
