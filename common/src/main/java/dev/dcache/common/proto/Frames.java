package dev.dcache.common.proto;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The binary protocol masters use for single-key calls to aux nodes: the hot path, where HTTP's
 * parsing and header costs would dominate (see BENCHMARKS.md). Batch calls, health and
 * operations stay on the internal HTTP API.
 *
 * <p>Every frame is length-prefixed, big-endian, and carries the caller's request id, so one
 * connection carries many requests at once (pipelined; replies come back in order, matched by
 * id). Both directions have one fixed layout, which keeps the codec branch-free:
 * <pre>
 * request:  int length | int id | byte op     | long version | long expiresAt | u16 keyLen | key | int valueLen | value
 *           [u16 requestIdLen | requestId]   (ordering ops only)
 * reply:    int length | int id | byte status | byte flag    | long version | long expiresAt | int valueLen | value
 * </pre>
 * {@code valueLen = -1} means no value (a tombstone, or an op without one). A connection to a
 * node with a cluster token must open with {@link #HELLO} carrying the token as its value. The
 * ordering ops ({@link #PUT_ORDERING}, {@link #DELETE_ORDERING}) end with the client request id the
 * write carries out (length 0: none), which makes a retried request take effect once. Their
 * {@link #OK} reply's {@code expiresAt} carries instead how far back, in milliseconds, the node
 * remembers the requests it ordered ({@code wire.PutOutcome#rememberedMillis}; 0: it cannot say).
 */
public final class Frames {
    /** Ops. */
    public static final byte GET = 1;
    public static final byte PUT = 2;
    public static final byte DELETE = 3;
    public static final byte HELLO = 4;
    /** A PUT by the key's ordering owner: refused with {@link #NOT_SERVING} (nothing applied) when the node does not serve. */
    public static final byte PUT_ORDERING = 5;
    /** A DELETE by the key's ordering owner; see {@link #PUT_ORDERING}. */
    public static final byte DELETE_ORDERING = 6;

    /** Reply statuses. */
    public static final byte OK = 0;
    public static final byte NOT_FOUND = 1;
    public static final byte TOO_LARGE = 2;
    public static final byte BAD_REQUEST = 3;
    public static final byte UNAUTHORIZED = 4;
    public static final byte ERROR = 5;
    /**
     * A GET, or an ordering PUT or DELETE, the node does not answer now (it is recovering or
     * draining): ask another owner.
     */
    public static final byte NOT_SERVING = 6;
    /**
     * An ordering PUT or DELETE whose request id the node had already ordered for that key:
     * nothing applied now; {@code flag} and {@code version} are the earlier try's outcome.
     */
    public static final byte REPLAYED = 7;

    /** Largest frame either side accepts. */
    public static final int MAX_FRAME = 64 << 20;
    public static final int MAX_KEY = 65535;

    private Frames() {
    }

    /** Longest client request id an ordering op carries, in UTF-8 bytes. */
    public static final int MAX_REQUEST_ID = 128;

    /** A decoded request; {@code requestId} is null unless an ordering op carried one. */
    public record Request(int id, byte op, long version, long expiresAt, String key, String value, String requestId) {
    }

    /** True for the ops that end with a request id. */
    public static boolean ordering(byte op) {
        return op == PUT_ORDERING || op == DELETE_ORDERING;
    }

    /**
     * A decoded reply. For GET: {@code value}, {@code version}, {@code expiresAt} of the entry.
     * For PUT: {@code flag} = applied, {@code version} = version held afterwards. For DELETE:
     * {@code flag} = a live value existed, {@code version} = version held afterwards (the delete's
     * own when applied, higher when a newer write was there).
     */
    public record Reply(int id, byte status, boolean flag, long version, long expiresAt, String value) {
    }

    /** An upper bound of the bytes {@link #writeRequest} writes (UTF-8 takes at most 3 bytes a char). */
    public static long maxRequestBytes(String key, String value) {
        return 4 + 4 + 1 + 8 + 8 + 2 + 4 + 3L * (key == null ? 0 : key.length())
                + 3L * (value == null ? 0 : value.length()) + 2 + MAX_REQUEST_ID;
    }

    /** Writes a request of an op without a request id. */
    public static void writeRequest(DataOutputStream out, int id, byte op, long version, long expiresAt,
                                    String key, String value) throws IOException {
        writeRequest(out, id, op, version, expiresAt, key, value, null);
    }

    /**
     * Writes a request.
     *
     * @param requestId for an ordering op, the client request id, or null; ignored for other ops
     */
    public static void writeRequest(DataOutputStream out, int id, byte op, long version, long expiresAt,
                                    String key, String value, String requestId) throws IOException {
        byte[] k = key == null ? new byte[0] : key.getBytes(StandardCharsets.UTF_8);
        if (k.length > MAX_KEY) {
            throw new IOException("key too long for the wire: " + k.length + " bytes");
        }
        byte[] v = value == null ? null : value.getBytes(StandardCharsets.UTF_8);
        byte[] r = !ordering(op) ? null : requestId == null ? new byte[0] : requestId.getBytes(StandardCharsets.UTF_8);
        if (r != null && r.length > MAX_REQUEST_ID) {
            throw new IOException("request id too long for the wire: " + r.length + " bytes");
        }
        int length = 4 + 1 + 8 + 8 + 2 + k.length + 4 + (v == null ? 0 : v.length) + (r == null ? 0 : 2 + r.length);
        out.writeInt(length);
        out.writeInt(id);
        out.writeByte(op);
        out.writeLong(version);
        out.writeLong(expiresAt);
        out.writeShort(k.length);
        out.write(k);
        out.writeInt(v == null ? -1 : v.length);
        if (v != null) {
            out.write(v);
        }
        if (r != null) {
            out.writeShort(r.length);
            out.write(r);
        }
    }

    /** Reads one request; throws {@link EOFException} at a clean end of stream. */
    public static Request readRequest(DataInputStream in) throws IOException {
        int length = in.readInt();
        checkLength(length, 4 + 1 + 8 + 8 + 2 + 4);
        int id = in.readInt();
        byte op = in.readByte();
        long version = in.readLong();
        long expiresAt = in.readLong();
        int keyLen = in.readUnsignedShort();
        byte[] k = new byte[keyLen];
        in.readFully(k);
        int valueLen = in.readInt();
        int fixed = 4 + 1 + 8 + 8 + 2 + keyLen + 4 + Math.max(valueLen, 0);
        if (valueLen < -1 || (ordering(op) ? fixed + 2 > length : fixed != length)) {
            throw new IOException("inconsistent request frame");
        }
        String value = null;
        if (valueLen >= 0) {
            byte[] v = new byte[valueLen];
            in.readFully(v);
            value = new String(v, StandardCharsets.UTF_8);
        }
        String requestId = null;
        if (ordering(op)) {
            int idLen = in.readUnsignedShort();
            if (idLen > MAX_REQUEST_ID || fixed + 2 + idLen != length) {
                throw new IOException("inconsistent request frame");
            }
            byte[] r = new byte[idLen];
            in.readFully(r);
            requestId = idLen == 0 ? null : new String(r, StandardCharsets.UTF_8);
        }
        return new Request(id, op, version, expiresAt, new String(k, StandardCharsets.UTF_8), value, requestId);
    }

    public static void writeReply(DataOutputStream out, int id, byte status, boolean flag, long version,
                                  long expiresAt, String value) throws IOException {
        byte[] v = value == null ? null : value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(4 + 1 + 1 + 8 + 8 + 4 + (v == null ? 0 : v.length));
        out.writeInt(id);
        out.writeByte(status);
        out.writeBoolean(flag);
        out.writeLong(version);
        out.writeLong(expiresAt);
        out.writeInt(v == null ? -1 : v.length);
        if (v != null) {
            out.write(v);
        }
    }

    public static Reply readReply(DataInputStream in) throws IOException {
        int length = in.readInt();
        checkLength(length, 4 + 1 + 1 + 8 + 8 + 4);
        int id = in.readInt();
        byte status = in.readByte();
        boolean flag = in.readBoolean();
        long version = in.readLong();
        long expiresAt = in.readLong();
        int valueLen = in.readInt();
        if (valueLen < -1 || 4 + 1 + 1 + 8 + 8 + 4 + Math.max(valueLen, 0) != length) {
            throw new IOException("inconsistent reply frame");
        }
        String value = null;
        if (valueLen >= 0) {
            byte[] v = new byte[valueLen];
            in.readFully(v);
            value = new String(v, StandardCharsets.UTF_8);
        }
        return new Reply(id, status, flag, version, expiresAt, value);
    }

    private static void checkLength(int length, int min) throws IOException {
        if (length < min || length > MAX_FRAME) {
            throw new IOException("bad frame length " + length);
        }
    }
}
