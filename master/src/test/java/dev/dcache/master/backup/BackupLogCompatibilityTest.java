package dev.dcache.master.backup;

import dev.dcache.common.wire.Entry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backup file written by the log as it was before records went through
 * {@code common.record.EntryRecords} and {@code CrcFraming}: the new code appends the same bytes,
 * reads them back, and still stops at a flipped byte.
 */
class BackupLogCompatibilityTest {
    private static final List<Entry> RECORDS = List.of(new Entry("a", "1", 10, 0), new Entry("b", null, 11, 5000),
            new Entry("ключ", "значение", 12, 99));
    /** {@link #RECORDS} appended in one batch before the shared codec: length, CRC32C, payload each. */
    private static final byte[] OLD_FILE = HexFormat.of().parseHex(String.join("",
            "0000001a", "2c3086fa", "00000001", "61", "00000001", "31", "000000000000000a", "0000000000000000",
            "00000019", "5253ec3c", "00000001", "62", "ffffffff", "000000000000000b", "0000000000001388",
            "00000030", "1f0d2889", "00000008", "d0bad0bbd18ed187", "00000010", "d0b7d0bdd0b0d187d0b5d0bdd0b8d0b5",
            "000000000000000c", "0000000000000063"));
    /** Where the last frame starts. */
    private static final int LAST_FRAME = 34 + 33;

    @TempDir
    Path dir;

    @Test
    void append_sameRecords_writesTheOldBytes() throws IOException {
        Path file;
        try (BackupLog log = new BackupLog(dir, "master-1", 1 << 20)) {
            log.append(RECORDS);
            file = log.file();
        }
        assertThat(file).hasBinaryContent(OLD_FILE);
    }

    @Test
    void readAll_oldFile_givesEveryRecord() throws IOException {
        Files.write(dir.resolve("master-1" + BackupLog.SUFFIX), OLD_FILE);

        assertThat(BackupLog.readAll(dir)).containsOnly(
                Map.entry("a", RECORDS.get(0)), Map.entry("b", RECORDS.get(1)),
                Map.entry("ключ", RECORDS.get(2)));
    }

    @Test
    void readAll_oldFileWithAByteOfTheLastFrameFlipped_stopsBeforeIt() throws IOException {
        for (int i = LAST_FRAME; i < OLD_FILE.length; i++) {
            byte[] damaged = OLD_FILE.clone();
            damaged[i] ^= 0x01;
            Files.write(dir.resolve("master-1" + BackupLog.SUFFIX), damaged);
            assertThat(BackupLog.readAll(dir)).as("byte %d flipped", i).containsOnlyKeys("a", "b");
        }
    }
}
