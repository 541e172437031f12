package dev.dcache.aux.snapshot;

import dev.dcache.aux.cache.LruCache;
import dev.dcache.common.record.CrcFraming;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.value.StoredValue;
import dev.dcache.common.wire.Entry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A snapshot file written by the writer as it was before records went through
 * {@code common.record.EntryRecords} (and before values had forms other than a JSON string): the
 * new code writes the same records, with the header flag that says its values are in
 * {@link StoredValue}'s encoding, reads the old file back, and still finds a flipped byte.
 */
class SnapshotCompatibilityTest {
    private static final FakeClock CLOCK = new FakeClock();
    private static final List<Entry> RECORDS = List.of(
            new Entry("alpha", "one", 1, 0),
            new Entry("ключ", "значение", 2, 4_000_000_000_000L),
            new Entry("gamma", null, 3, CLOCK.millis() + 60_000));
    /** {@link #RECORDS} as written at {@code CLOCK.millis()} by the writer before the shared codec. */
    private static final byte[] OLD_FILE = HexFormat.of().parseHex(String.join("",
            "894443534e41500a", "0001", "0000", "0000019b76daa800", "0000000000000003", "bb22aea8",
            "01", "0000000000000001", "0000000000000000", "00000005", "616c706861", "00000003", "6f6e65",
            "01", "0000000000000002", "000003a352944000", "00000008", "d0bad0bbd18ed187",
            "00000010", "d0b7d0bdd0b0d187d0b5d0bdd0b8d0b5",
            "02", "0000000000000003", "0000019b76db9260", "00000005", "67616d6d61",
            "c4ee5431"));

    @TempDir
    Path dir;

    @Test
    void write_sameRecords_writesTheOldBytesButTheFlag() throws Exception {
        LruCache cache = new LruCache(100, 1L << 30, 1, 60_000, CLOCK);
        cache.put(RECORDS.get(0));
        cache.put(RECORDS.get(1));
        cache.delete("gamma", 3);

        SnapshotWriter.write(cache, dir, CLOCK.millis());

        byte[] written = Files.readAllBytes(dir.resolve(SnapshotFormat.FILE_NAME));
        assertThat(Arrays.copyOfRange(written, 0, 10)).isEqualTo(Arrays.copyOfRange(OLD_FILE, 0, 10));
        assertThat(Arrays.copyOfRange(written, 10, 12)).isEqualTo(new byte[]{0, SnapshotFormat.FLAG_STORED_VALUES});
        assertThat(Arrays.copyOfRange(written, 12, 28)).isEqualTo(Arrays.copyOfRange(OLD_FILE, 12, 28));
        assertThat(Arrays.copyOfRange(written, 32, written.length))
                .isEqualTo(Arrays.copyOfRange(OLD_FILE, 32, OLD_FILE.length));
        assertThat(SnapshotReader.verify(dir.resolve(SnapshotFormat.FILE_NAME)).storedValues()).isTrue();
    }

    @Test
    void read_oldFileWithAValueStartingWithTheMark_keepsItAJsonString() throws Exception {
        String nulFirst = StoredValue.MARK + "Jnot json";
        LruCache cache = new LruCache(100, 1L << 30, 1, 60_000, CLOCK);
        cache.put(new Entry("k", nulFirst, 1, 0));
        SnapshotWriter.write(cache, dir, CLOCK.millis());
        Path file = dir.resolve(SnapshotFormat.FILE_NAME);
        byte[] old = Files.readAllBytes(file);
        old[11] = 0; // as written before the flag existed
        System.arraycopy(ByteBuffer.allocate(4).putInt(CrcFraming.crc32c(old, 0, 28)).array(), 0, old, 28, 4);
        Files.write(file, old);
        List<Entry> read = new ArrayList<>();

        SnapshotReader.read(file, read::add);

        assertThat(read).singleElement().satisfies(e -> {
            assertThat(StoredValue.decode(e.value()).kind()).isEqualTo(StoredValue.Kind.JSON_STRING);
            assertThat(StoredValue.decode(e.value()).text()).isEqualTo(nulFirst);
        });
    }

    @Test
    void read_oldFile_givesEveryRecordAndTheHeader() throws Exception {
        Path file = Files.write(dir.resolve(SnapshotFormat.FILE_NAME), OLD_FILE);
        List<Entry> read = new ArrayList<>();

        SnapshotFormat.Header header = SnapshotReader.read(file, read::add);

        assertThat(read).containsExactlyElementsOf(RECORDS);
        assertThat(header).isEqualTo(new SnapshotFormat.Header(1, 0, CLOCK.millis(), 3));
        assertThat(SnapshotReader.verify(file)).isEqualTo(header);
    }

    @Test
    void verify_oldFileWithAnyByteFlipped_isCorrupt() throws IOException {
        Path file = dir.resolve(SnapshotFormat.FILE_NAME);
        for (int i = 0; i < OLD_FILE.length; i++) {
            byte[] damaged = OLD_FILE.clone();
            damaged[i] ^= 0x01;
            Files.write(file, damaged);
            assertThatThrownBy(() -> SnapshotReader.verify(file)).as("byte %d flipped", i)
                    .isInstanceOf(CorruptSnapshotException.class);
        }
    }
}
