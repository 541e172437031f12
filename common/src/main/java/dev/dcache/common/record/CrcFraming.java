package dev.dcache.common.record;

import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.EOFException;
import java.io.IOException;
import java.util.zip.CRC32C;

/**
 * CRC32C over stored bytes, and the self-checking frame {@code int length | int crc32c | payload}
 * (big-endian) for logs appended one batch at a time. A frame is whole or it is not: a reader
 * stops at the first frame that is cut short or whose checksum does not match, which is how a
 * torn tail left by a crash is found.
 */
public final class CrcFraming {
    /** Bytes a frame adds to its payload: the length and the checksum. */
    public static final int OVERHEAD = 8;

    private CrcFraming() {
    }

    /** The CRC32C of {@code length} bytes of {@code bytes} from {@code offset}, as stored: an {@code int}. */
    public static int crc32c(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    /** Writes {@code payload} as one frame. */
    public static void writeFrame(DataOutput out, byte[] payload) throws IOException {
        out.writeInt(payload.length);
        out.writeInt(crc32c(payload, 0, payload.length));
        out.write(payload);
    }

    /**
     * The payload of the next frame.
     *
     * @param maxLength a larger length field is taken for damage, not read
     * @return the payload, or null at the end of {@code in} or at a frame that is torn (cut short),
     *         has an impossible length or fails its checksum
     * @throws IOException when {@code in} cannot be read
     */
    public static byte[] readFrame(DataInputStream in, int maxLength) throws IOException {
        try {
            int length = in.readInt();
            if (length < 0 || length > maxLength) {
                return null;
            }
            int crc = in.readInt();
            byte[] payload = in.readNBytes(length);
            return payload.length == length && crc32c(payload, 0, length) == crc ? payload : null;
        } catch (EOFException e) {
            return null;
        }
    }
}
