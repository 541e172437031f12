package dev.dcache.master.api;

import dev.dcache.common.error.ApiException;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

import java.util.Arrays;
import java.util.function.Predicate;

/** Reads a request body without blocking: whole (up to a limit), or to drop it. */
final class BodyReader {
    private BodyReader() {
    }

    /** What receives the body, or why there is none. */
    interface Sink {
        void accept(byte[] body, Throwable failure);
    }

    /**
     * Reads the whole body into memory, at most {@code limit} bytes: past that, what is left is
     * dropped ({@link #discard}) and {@code sink} gets a 413; a body that cannot be read (the
     * client went away) gets a 400.
     */
    static void read(Request request, long limit, Sink sink) {
        long declared = request.getLength();
        var body = new Object() {
            byte[] buf = new byte[(int) Math.max(0, Math.min(declared, limit))];
            int size;
            Runnable outcome;

            boolean take(Content.Chunk chunk) {
                if (Content.Chunk.isFailure(chunk)) {
                    outcome = () -> sink.accept(null, ApiException.badRequest("request body could not be read"));
                    return false;
                }
                int n = chunk.remaining();
                if ((long) size + n > limit) {
                    outcome = () -> discard(request, limit, () -> sink.accept(null, ApiException.tooLarge(
                            "request body exceeds the limit of " + limit + " bytes")));
                    return false;
                }
                if (size + n > buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(limit, Math.max(size + n, 2L * buf.length)));
                }
                chunk.getByteBuffer().get(buf, size, n);
                size += n;
                if (chunk.isLast()) {
                    byte[] whole = size == buf.length ? buf : Arrays.copyOf(buf, size);
                    outcome = () -> sink.accept(whole, null);
                    return false;
                }
                return true;
            }
        };
        pump(request, body::take, () -> body.outcome.run());
    }

    /** Reads and drops what is left of the body, at most {@code limit + 1} bytes, then runs {@code then}. */
    static void discard(Request request, long limit, Runnable then) {
        long[] left = {limit + 1};
        pump(request, chunk -> {
            left[0] -= chunk.remaining();
            return !Content.Chunk.isFailure(chunk) && !chunk.isLast() && left[0] > 0;
        }, then);
    }

    /**
     * Hands each chunk of the body to {@code take} (released after it returns) for as long as it
     * answers true, then runs {@code done}; waits for content with {@code demand}, never blocking.
     */
    private static void pump(Request request, Predicate<Content.Chunk> take, Runnable done) {
        while (true) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                request.demand(() -> pump(request, take, done));
                return;
            }
            boolean more;
            try {
                more = take.test(chunk);
            } finally {
                chunk.release();
            }
            if (!more) {
                done.run();
                return;
            }
        }
    }
}
