package dev.dcache.common.record;

import dev.dcache.common.record.EntryRecords.Layout;
import dev.dcache.common.wire.Entry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Both record layouts against bytes written by the code that came before this codec (the aux
 * snapshot writer and the master backup log), so files already on disk keep reading.
 */
class EntryRecordsTest {
    private static final Entry VALUE = new Entry("ключ", "значение", 12, 99);
    private static final Entry TOMBSTONE = new Entry("b", null, 11, 5000);

    /** As the snapshot writer wrote them: kind, version, expiry, key, value. */
    private static final String KIND_FIRST_VALUE = "01 000000000000000c 0000000000000063"
            + " 00000008 d0bad0bbd18ed187 00000010 d0b7d0bdd0b0d187d0b5d0bdd0b8d0b5";
    private static final String KIND_FIRST_TOMBSTONE = "02 000000000000000b 0000000000001388 00000001 62";
    /** As the backup log wrote its payloads: key, value or -1, version, expiry. */
    private static final String KEY_FIRST_VALUE = "00000008 d0bad0bbd18ed187 00000010 d0b7d0bdd0b0d187d0b5d0bdd0b8d0b5"
            + " 000000000000000c 0000000000000063";
    private static final String KEY_FIRST_TOMBSTONE = "00000001 62 ffffffff 000000000000000b 0000000000001388";

    private static byte[] hex(String spaced) {
        return HexFormat.of().parseHex(spaced.replace(" ", ""));
    }

    @Test
    void encode_kindFirst_writesTheSnapshotBytes() {
        assertThat(EntryRecords.encode(VALUE, Layout.KIND_FIRST)).isEqualTo(hex(KIND_FIRST_VALUE));
        assertThat(EntryRecords.encode(TOMBSTONE, Layout.KIND_FIRST)).isEqualTo(hex(KIND_FIRST_TOMBSTONE));
    }

    @Test
    void encode_keyFirst_writesTheBackupBytes() {
        assertThat(EntryRecords.encode(VALUE, Layout.KEY_FIRST)).isEqualTo(hex(KEY_FIRST_VALUE));
        assertThat(EntryRecords.encode(TOMBSTONE, Layout.KEY_FIRST)).isEqualTo(hex(KEY_FIRST_TOMBSTONE));
    }

    @Test
    void decode_oldBytes_givesTheEntries() throws IOException {
        assertThat(EntryRecords.decode(hex(KIND_FIRST_VALUE), Layout.KIND_FIRST)).isEqualTo(VALUE);
        assertThat(EntryRecords.decode(hex(KIND_FIRST_TOMBSTONE), Layout.KIND_FIRST)).isEqualTo(TOMBSTONE);
        assertThat(EntryRecords.decode(hex(KEY_FIRST_VALUE), Layout.KEY_FIRST)).isEqualTo(VALUE);
        assertThat(EntryRecords.decode(hex(KEY_FIRST_TOMBSTONE), Layout.KEY_FIRST)).isEqualTo(TOMBSTONE);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void reader_recordsInARow_nextAndSkipConsumeTheSameBytes(Layout layout) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        EntryRecords.write(out, VALUE, layout);
        EntryRecords.write(out, TOMBSTONE, layout);
        EntryRecords.write(out, new Entry("", "", 0, 0), layout);
        byte[] all = bytes.toByteArray();

        EntryRecords.Reader reading = reader(all, all.length, layout);
        assertThat(reading.next()).isEqualTo(VALUE);
        assertThat(reading.next()).isEqualTo(TOMBSTONE);
        assertThat(reading.next()).isEqualTo(new Entry("", "", 0, 0));
        assertThat(reading.consumed()).isEqualTo(all.length);

        EntryRecords.Reader skipping = reader(all, all.length, layout);
        skipping.skip();
        skipping.skip();
        skipping.skip();
        assertThat(skipping.consumed()).isEqualTo(all.length);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void minSize_isTheSmallestRecord(Layout layout) {
        assertThat(EntryRecords.encode(new Entry("", null, 1, 0), layout).length)
                .isGreaterThanOrEqualTo(layout.minSize());
        assertThat(Math.min(EntryRecords.encode(new Entry("", null, 1, 0), layout).length,
                EntryRecords.encode(new Entry("", "", 1, 0), layout).length)).isEqualTo(layout.minSize());
    }

    @Test
    void reader_keyLongerThanTheLimit_isCorruptNotRead() {
        byte[] record = hex(KIND_FIRST_VALUE);
        assertThatThrownBy(() -> reader(record, 25, Layout.KIND_FIRST).next())
                .isInstanceOf(CorruptRecordException.class)
                .hasMessage("key length 8 does not fit in the 4 bytes left");
        assertThatThrownBy(() -> reader(record, 40, Layout.KIND_FIRST).skip())
                .isInstanceOf(CorruptRecordException.class)
                .hasMessage("value length 16 does not fit in the 7 bytes left");
    }

    @Test
    void reader_unknownKind_isCorrupt() {
        byte[] record = hex(KIND_FIRST_VALUE);
        record[0] = 7;
        assertThatThrownBy(() -> reader(record, record.length, Layout.KIND_FIRST).next())
                .isInstanceOf(CorruptRecordException.class).hasMessage("unknown kind 7");
    }

    @Test
    void reader_streamEndsInsideARecord_throwsEof() {
        byte[] cut = hex(KIND_FIRST_TOMBSTONE + " 01 00");
        EntryRecords.Reader in = reader(cut, Long.MAX_VALUE, Layout.KIND_FIRST);
        assertThatThrownBy(() -> {
            in.next();
            in.next();
        }).isInstanceOf(EOFException.class);
    }

    @Test
    void decode_recordCutShort_isCorrupt() {
        byte[] cut = hex("00000001 62 ffffffff 0000");
        assertThatThrownBy(() -> EntryRecords.decode(cut, Layout.KEY_FIRST))
                .isInstanceOf(CorruptRecordException.class).hasMessageContaining("cut short");
    }

    private static EntryRecords.Reader reader(byte[] bytes, long limit, Layout layout) {
        return new EntryRecords.Reader(new DataInputStream(new ByteArrayInputStream(bytes)), layout, limit);
    }
}
