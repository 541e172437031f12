package dev.dcache.common.record;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/** The CRC32C frame against a frame the master backup log wrote before this codec existed. */
class CrcFramingTest {
    /** The backup log's frame of {@code Entry("a", "1", 10, 0)}: length, CRC32C, payload. */
    private static final byte[] OLD_FRAME = HexFormat.of().parseHex(
            "0000001a" + "2c3086fa" + "00000001" + "61" + "00000001" + "31" + "000000000000000a" + "0000000000000000");
    private static final byte[] PAYLOAD = Arrays.copyOfRange(OLD_FRAME, CrcFraming.OVERHEAD, OLD_FRAME.length);

    @Test
    void writeFrame_writesTheOldBytes() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CrcFraming.writeFrame(new DataOutputStream(bytes), PAYLOAD);
        assertThat(bytes.toByteArray()).isEqualTo(OLD_FRAME);
    }

    @Test
    void readFrame_oldFrameThenEnd_givesThePayloadThenNull() throws IOException {
        DataInputStream in = in(OLD_FRAME);
        assertThat(CrcFraming.readFrame(in, 1 << 20)).isEqualTo(PAYLOAD);
        assertThat(CrcFraming.readFrame(in, 1 << 20)).isNull();
    }

    @Test
    void readFrame_anyByteFlipped_isNull() throws IOException {
        for (int i = 0; i < OLD_FRAME.length; i++) {
            byte[] damaged = OLD_FRAME.clone();
            damaged[i] ^= 0x01;
            assertThat(CrcFraming.readFrame(in(damaged), 1 << 20)).as("byte %d flipped", i).isNull();
        }
    }

    @Test
    void readFrame_tornOrTooLong_isNull() throws IOException {
        assertThat(CrcFraming.readFrame(in(Arrays.copyOf(OLD_FRAME, OLD_FRAME.length - 1)), 1 << 20)).isNull();
        assertThat(CrcFraming.readFrame(in(Arrays.copyOf(OLD_FRAME, 6)), 1 << 20)).isNull();
        assertThat(CrcFraming.readFrame(in(OLD_FRAME), PAYLOAD.length - 1)).isNull();
    }

    @Test
    void crc32c_ofAPayload_isTheStoredChecksum() {
        assertThat(CrcFraming.crc32c(PAYLOAD, 0, PAYLOAD.length)).isEqualTo(0x2c3086fa);
    }

    private static DataInputStream in(byte[] bytes) {
        return new DataInputStream(new ByteArrayInputStream(bytes));
    }
}
