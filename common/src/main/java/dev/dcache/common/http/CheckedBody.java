package dev.dcache.common.http;

import dev.dcache.common.error.ApiException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A request body read as a stream (by Jackson's streaming parser) with the checks a body read
 * whole into an array used to get: at most {@code limit} bytes (413), and, when asked, well-formed
 * UTF-8 (400; the JDK's strict decoder: no overlong forms, no encoded surrogates, nothing above
 * U+10FFFF, no truncated sequence at the end).
 *
 * <p>A parser that reads from this stream wraps what the stream throws, so a refusal is kept:
 * {@link #read} throws an {@link IOException} naming it, and the caller, on any failure of the
 * parser, calls {@link #throwIfRefused()} first so the client gets the refusal's own status.
 */
public final class CheckedBody extends FilterInputStream {
    private final long limit;
    private final CharsetDecoder utf8;
    private final CharBuffer chars;
    private final byte[] pending = new byte[4];
    private int pendingLength;
    private long read;
    private boolean ended;
    private ApiException refusal;

    /**
     * @param limit      most bytes the body may have
     * @param checkUtf8  also refuse a body that is not well-formed UTF-8
     */
    public CheckedBody(InputStream body, long limit, boolean checkUtf8) {
        super(body);
        this.limit = limit;
        this.utf8 = checkUtf8 ? StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT) : null;
        this.chars = checkUtf8 ? CharBuffer.allocate(8192) : null;
    }

    /** Bytes read so far. */
    public long bytesRead() {
        return read;
    }

    /** Rethrows the refusal that stopped the read, if one did. */
    public void throwIfRefused() {
        if (refusal != null) {
            throw refusal;
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (refusal != null) {
            throw new IOException(refusal.getMessage());
        }
        int n;
        try {
            n = super.read(b, off, len);
        } catch (org.eclipse.jetty.http.BadMessageException e) {
            throw refuse(new ApiException(e.getCode(), "request body: " + e.getReason()));
        }
        if (n < 0) {
            if (!ended) {
                ended = true;
                check(b, off, 0, true);
            }
            return -1;
        }
        read += n;
        if (read > limit) {
            throw refuse(ApiException.tooLarge("request body exceeds the limit of " + limit + " bytes"));
        }
        check(b, off, n, false);
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(n, 8192)];
        int r = read(buf, 0, buf.length);
        return Math.max(r, 0);
    }

    private void check(byte[] b, int off, int len, boolean end) throws IOException {
        if (utf8 == null) {
            return;
        }
        ByteBuffer in;
        if (pendingLength > 0) {
            in = ByteBuffer.allocate(pendingLength + len).put(pending, 0, pendingLength).put(b, off, len).flip();
        } else {
            in = ByteBuffer.wrap(b, off, len);
        }
        CoderResult r;
        do {
            chars.clear();
            r = utf8.decode(in, chars, end);
        } while (r.isOverflow());
        if (!r.isError() && end) {
            chars.clear();
            r = utf8.flush(chars);
        }
        if (r.isError()) {
            throw refuse(ApiException.badRequest("request body is not well-formed UTF-8"));
        }
        pendingLength = in.remaining(); // a sequence cut by the end of this read: at most 3 bytes
        in.get(pending, 0, pendingLength);
    }

    private IOException refuse(ApiException e) {
        refusal = e;
        return new IOException(e.getMessage());
    }
}
