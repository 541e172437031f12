package dev.dcache.master.backup;

import dev.dcache.common.wire.Entry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BackupLogTest {
    @TempDir
    Path dir;

    @Test
    void append_thenReadAll_keepsValuesTombstonesVersionsAndExpiries() throws IOException {
        try (BackupLog log = new BackupLog(dir, "master-1", 1 << 20)) {
            log.append(List.of(new Entry("a", "1", 10, 0), new Entry("b", null, 11, 5000),
                    new Entry("ключ", "значение", 12, 99)));
        }
        Map<String, Entry> all = BackupLog.readAll(dir);
        assertThat(all).containsOnlyKeys("a", "b", "ключ");
        assertThat(all.get("b").isTombstone()).isTrue();
        assertThat(all.get("b").expiresAt()).isEqualTo(5000);
        assertThat(all.get("ключ")).isEqualTo(new Entry("ключ", "значение", 12, 99));
    }

    @Test
    void readAll_acrossMasters_highestVersionWins() throws IOException {
        try (BackupLog one = new BackupLog(dir, "master-1", 1 << 20); BackupLog two = new BackupLog(dir, "master-2", 1 << 20)) {
            one.append(List.of(new Entry("k", "old", 5, 0), new Entry("x", "newer", 9, 0)));
            two.append(List.of(new Entry("k", "new", 7, 0), new Entry("x", "older", 8, 0)));
        }
        Map<String, Entry> all = BackupLog.readAll(dir);
        assertThat(all.get("k").value()).isEqualTo("new");
        assertThat(all.get("x").value()).isEqualTo("newer");
    }

    @Test
    void tornTail_isIgnoredOnRead_andCutOffWhenReopened() throws IOException {
        Path file;
        try (BackupLog log = new BackupLog(dir, "master-1", 1 << 20)) {
            log.append(List.of(new Entry("a", "1", 1, 0), new Entry("b", "2", 2, 0)));
            file = log.file();
        }
        long good = Files.size(file);
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            c.write(java.nio.ByteBuffer.wrap(new byte[]{0, 0, 0, 50, 1, 2, 3})); // a frame cut short by a crash
        }
        assertThat(BackupLog.readAll(dir)).containsOnlyKeys("a", "b");
        try (BackupLog log = new BackupLog(dir, "master-1", 1 << 20)) {
            assertThat(Files.size(file)).isEqualTo(good);
            log.append(List.of(new Entry("c", "3", 3, 0)));
        }
        assertThat(BackupLog.readAll(dir)).containsOnlyKeys("a", "b", "c");
    }

    @Test
    void corruptFrame_stopsTheReadThere() throws IOException {
        Path file;
        try (BackupLog log = new BackupLog(dir, "master-1", 1 << 20)) {
            log.append(List.of(new Entry("a", "1", 1, 0)));
            log.append(List.of(new Entry("b", "2", 2, 0)));
            file = log.file();
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 3] ^= 0x40; // flip a bit in the last record's payload
        Files.write(file, bytes);
        assertThat(BackupLog.readAll(dir)).containsOnlyKeys("a");
    }

    @Test
    void compaction_keepsOnlyTheNewestRecordPerKey() throws IOException {
        try (BackupLog log = new BackupLog(dir, "master-1", 4096)) {
            for (int round = 1; round <= 50; round++) {
                List<Entry> batch = new ArrayList<>();
                for (int k = 0; k < 5; k++) {
                    batch.add(new Entry("k" + k, "round-" + round, round * 10L + k, 0));
                }
                log.append(batch);
            }
            assertThat(Files.size(log.file())).isLessThan(4096 * 2);
        }
        Map<String, Entry> all = BackupLog.readAll(dir);
        assertThat(all).hasSize(5);
        assertThat(all.get("k3").value()).isEqualTo("round-50");
    }

    @Test
    void hasData_emptyOrMissingDirectory_isFalse() throws IOException {
        assertThat(BackupLog.hasData(dir.resolve("nope"))).isFalse();
        assertThat(BackupLog.hasData(dir)).isFalse();
        try (BackupLog log = new BackupLog(dir, "m", 1 << 20)) {
            assertThat(BackupLog.hasData(dir)).isFalse();
            log.append(List.of(new Entry("a", "1", 1, 0)));
        }
        assertThat(BackupLog.hasData(dir)).isTrue();
    }
}
