package dev.dcache.common.client;

import java.io.IOException;

/**
 * An answer's body that tells {@code charge} of every byte read before handing it on; a refusal
 * thrown by {@code charge} is kept (the parser wraps what its stream throws) and the read fails.
 */
final class ChargedStream extends java.io.FilterInputStream {
    private final java.util.function.LongConsumer charge;
    private RuntimeException refusal;

    ChargedStream(java.io.InputStream in, java.util.function.LongConsumer charge) {
        super(in);
        this.charge = charge;
    }

    /** What {@code charge} threw, which ended the read; or null. */
    RuntimeException refusal() {
        return refusal;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (refusal != null) {
            throw new IOException("answer refused: " + refusal.getMessage());
        }
        int n = super.read(b, off, len);
        if (n > 0) {
            try {
                charge.accept(n);
            } catch (RuntimeException e) {
                refusal = e;
                throw new IOException("answer refused: " + e.getMessage());
            }
        }
        return n;
    }
}
