package dev.dcache.aux.snapshot;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.dcache.aux.cache.LruCache;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.Entry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Every way a snapshot can be unusable at start: each must start the node empty, move the file
 * aside as {@code snapshot.bin.corrupt-<millis>}, and say what was wrong in an ERROR naming the
 * file.
 */
class DamagedSnapshotTest {
    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger snapshotLog = (Logger) LoggerFactory.getLogger(Snapshotter.class);
    private Path file;
    /** A good snapshot of {@link #goodCache()}. */
    private byte[] good;

    @BeforeEach
    void writeGoodSnapshot() throws IOException {
        file = dir.resolve("snapshot.bin");
        SnapshotWriter.write(goodCache(), dir, clock.millis());
        good = Files.readAllBytes(file);
        logs.start();
        snapshotLog.addAppender(logs);
    }

    @AfterEach
    void detachLog() {
        snapshotLog.detachAppender(logs);
    }

    private LruCache goodCache() {
        LruCache cache = new LruCache(100, 1L << 30, 1, 60_000, clock);
        cache.put(new Entry("alpha", "one", 1, 0));
        cache.put(new Entry("beta", "two".repeat(20), 2, clock.millis() + 60_000));
        cache.delete("gamma", 3);
        return cache;
    }

    /** Restores from {@link #file} into a fresh cache and checks the outcome every damaged file must have. */
    private RestoreResult restoreExpectingDiscard(String problem) throws IOException {
        byte[] damaged = Files.isRegularFile(file) ? Files.readAllBytes(file) : null;
        LruCache cache = new LruCache(100, 1L << 30, 1, 60_000, clock);

        RestoreResult r = new Snapshotter(dir, cache, clock, SnapshotListener.NONE).restore();

        assertThat(r.outcome()).isEqualTo(RestoreResult.Outcome.DISCARDED);
        assertThat(r.problem()).contains(problem);
        assertThat(cache.size()).as("started empty").isZero();
        assertThat(file).doesNotExist();
        assertThat(r.movedTo()).isEqualTo(dir.resolve("snapshot.bin.corrupt-" + clock.millis()));
        if (damaged != null) {
            assertThat(r.movedTo()).hasBinaryContent(damaged);
        }
        List<ILoggingEvent> errors = logs.list.stream().filter(e -> e.getLevel() == Level.ERROR).toList();
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).getFormattedMessage()).contains(file.toString()).contains(problem)
                .contains("starting empty");
        return r;
    }

    private void damage(byte[] bytes) throws IOException {
        Files.write(file, bytes);
    }

    @Test
    void restore_goodSnapshot_isRestored() {
        LruCache cache = new LruCache(100, 1L << 30, 1, 60_000, clock);

        RestoreResult r = new Snapshotter(dir, cache, clock, SnapshotListener.NONE).restore();

        assertThat(r.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
        assertThat(r.loaded()).isEqualTo(3);
        assertThat(logs.list).noneMatch(e -> e.getLevel() == Level.ERROR);
    }

    @Test
    void restore_emptyFile_startsEmpty() throws IOException {
        damage(new byte[0]);

        restoreExpectingDiscard("empty file");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8, 20, 31, 32, 35, 36, 40, 60, -5, -4, -1})
    void restore_truncatedAt_startsEmpty(int cut) throws IOException {
        int length = cut >= 0 ? cut : good.length + cut;
        damage(Arrays.copyOf(good, length));

        restoreExpectingDiscard(length < 36 ? "truncated" : "");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 7, 9, 11, 13, 20, 27, 29, 31})
    void restore_flippedHeaderByte_startsEmpty(int offset) throws IOException {
        byte[] bytes = good.clone();
        bytes[offset] ^= 0x01;
        damage(bytes);

        restoreExpectingDiscard(offset < 8 ? "not a snapshot" : offset < 10 ? "unsupported format version" : "header checksum");
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 33, 40, 49, 52, 53, 60, 80, -30, -6, -5, -4, -1})
    void restore_flippedBodyOrTrailerByte_startsEmpty(int at) throws IOException {
        byte[] bytes = good.clone();
        int offset = at >= 0 ? at : good.length + at;
        bytes[offset] ^= 0x40;
        damage(bytes);

        restoreExpectingDiscard("");
    }

    @Test
    void restore_flippedKeyByte_reportsChecksumMismatch() throws IOException {
        byte[] bytes = good.clone();
        bytes[good.length - 7] ^= 0x01; // inside the last record's key, "gamma", just before the trailer
        damage(bytes);

        restoreExpectingDiscard("body checksum mismatch");
    }

    @Test
    void restore_trailingGarbage_startsEmpty() throws IOException {
        byte[] bytes = Arrays.copyOf(good, good.length + 3);
        damage(bytes);

        restoreExpectingDiscard("");
    }

    @Test
    void restore_wrongMagic_startsEmpty() throws IOException {
        damage("# not a snapshot, just some text someone put here\n".getBytes());

        restoreExpectingDiscard("not a snapshot: magic bytes are 23 20 6e 6f 74 20 61 20");
    }

    @Test
    void restore_otherFormatVersion_startsEmpty() throws IOException {
        ByteBuffer b = ByteBuffer.wrap(good.clone());
        b.putShort(8, (short) 2);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 28);
        b.putInt(28, (int) crc.getValue()); // a well-formed header of a future version
        damage(b.array());

        restoreExpectingDiscard("unsupported format version 2 (this build reads 1)");
    }

    @Test
    void restore_directoryWhereTheFileShouldBe_startsEmptyAndMovesItAside() throws IOException {
        Files.delete(file);
        Files.createDirectories(file.resolve("inside"));

        RestoreResult r = restoreExpectingDiscard("a directory, not a file");

        assertThat(r.movedTo().resolve("inside")).isDirectory();
    }

    @Test
    void restore_unreadableFile_startsEmpty() throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        assumeFalse(Files.isReadable(file), "running as root: permissions do not stop reads");

        restoreExpectingDiscard("unreadable");
    }

    @Test
    void restore_afterDiscard_firstSnapshotRewritesAGoodFile() throws Exception {
        damage(new byte[]{1, 2, 3});
        LruCache cache = new LruCache(100, 1L << 30, 1, 60_000, clock);
        Snapshotter s = new Snapshotter(dir, cache, clock, SnapshotListener.NONE);
        s.restore();

        WriteResult r = s.snapshotIfChanged(); // nothing changed, but there is no good snapshot on disk

        assertThat(r.outcome()).isEqualTo(WriteResult.Outcome.WRITTEN);
        assertThat(SnapshotReader.verify(file).count()).isZero();
    }
}
