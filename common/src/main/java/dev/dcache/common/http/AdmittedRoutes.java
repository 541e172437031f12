package dev.dcache.common.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.admission.Admission;
import dev.dcache.common.admission.ByteBudget;
import dev.dcache.common.error.ApiException;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;

/**
 * Admission of the Javalin routes and what a route reads of it: the wrapper {@link HttpServers}
 * puts around every route takes a request slot and reserves the request's body from the node's
 * {@link ByteBudget} before the route runs; a route reads its body within the limit ({@link #body}),
 * grows its reservation ({@link #lease}) and streams a large answer ({@link #streamJson}).
 *
 * <p>Admission happens before a body is read: a request reserves its {@code Content-Length}
 * (the whole body limit when it has none) from the node's {@link ByteBudget}, waiting briefly
 * when the budget is full, and is refused with 503 (or 413, larger than the budget) when that
 * does not come. Whatever body a request still has unread when it is answered (refused before
 * reading, or a parse that stopped early) is read and discarded first, so that a client that
 * writes its whole body before reading sees the answer instead of a reset connection.
 */
public final class AdmittedRoutes {
    private static final Logger log = LoggerFactory.getLogger(AdmittedRoutes.class);
    /** Where a Javalin route finds its request's reservation of the byte budget ({@link #lease}). */
    private static final String LEASE = "dcache.lease";
    /** The request attribute holding the server's body limit, for {@link #body}. */
    private static final String BODY_LIMIT = "dcache.bodyLimit";

    private AdmittedRoutes() {
    }

    /**
     * The whole request body, refused with 413 past the server's body limit also when its length
     * was not declared (chunked): Javalin's {@code bodyAsBytes} checks only a declared
     * Content-Length, and would read an undeclared body of any size into the heap.
     */
    public static byte[] body(Context ctx) throws IOException {
        Long limit = ctx.attribute(BODY_LIMIT);
        if (limit == null) {
            return ctx.bodyAsBytes(); // not an admitted route
        }
        CheckedBody in = new CheckedBody(ctx.req().getInputStream(), limit, false);
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            in.throwIfRefused();
            throw e;
        }
    }

    /**
     * The request's reservation of the byte budget, taken before its handler ran and held until its
     * answer has been written; a handler grows it for what it holds beyond its body (an answer read
     * from the aux nodes). Never null inside a route.
     */
    public static ByteBudget.Lease lease(Context ctx) {
        ByteBudget.Lease lease = ctx.attribute(LEASE);
        if (lease == null) {
            throw new IllegalStateException("no admission lease: not inside an admitted route");
        }
        return lease;
    }

    /**
     * {@code endpoint}'s handler, admitted first (see the class comment); that of {@code /health},
     * {@code /metrics} and non-HTTP endpoints as it is.
     */
    static io.javalin.http.Handler limited(io.javalin.router.Endpoint endpoint, HttpServers.Options options) {
        io.javalin.http.Handler handler = endpoint.handler;
        if (!endpoint.method.isHttpMethod() || endpoint.path.equals("/health") || endpoint.path.equals("/metrics")) {
            return handler;
        }
        Admission admission = options.admission();
        boolean budgeted = !options.unbudgeted().contains(endpoint.path);
        return ctx -> {
            boolean entered = false;
            ByteBudget.Lease lease = null;
            try {
                if (!admission.tryEnter()) {
                    throw admission.refuseRequest();
                }
                entered = true;
                lease = budgeted ? admitBody(ctx, options) : admission.bytes().empty();
                ctx.attribute(LEASE, lease);
                ctx.attribute(BODY_LIMIT, options.maxRequestBytes());
                if (!closeWhenComplete(ctx, lease)) {
                    lease = null; // closed with the exchange, once the answer is on the wire
                }
                handler.handle(ctx);
            } finally {
                discardUnread(ctx, options.maxRequestBytes());
                if (lease != null) {
                    lease.close();
                }
                if (entered) {
                    admission.leave();
                }
            }
        };
    }

    /**
     * Has Jetty close {@code lease} when the exchange completes: after the answer was written (Javalin
     * writes a route's result after the route returns, and a reader may be slow), or failed.
     *
     * @return true when that could not be arranged and the caller must close it
     */
    private static boolean closeWhenComplete(Context ctx, ByteBudget.Lease lease) {
        org.eclipse.jetty.server.Request core =
                org.eclipse.jetty.ee10.servlet.ServletContextRequest.getServletContextRequest(ctx.req());
        if (core == null) {
            return true;
        }
        org.eclipse.jetty.server.Request.addCompletionListener(core, failure -> lease.close());
        return false;
    }


    /**
     * Answers 200 with {@code body} as JSON encoded straight onto the wire, never whole in memory:
     * Javalin's {@code ctx.json} builds the whole answer as one String first (about four times
     * its size in transient memory; a 16 MiB bulk read's answer took an aux node into
     * {@code OutOfMemoryError}). A client gone meanwhile is no error: nobody is left to answer.
     */
    public static void streamJson(Context ctx, ObjectMapper mapper, Object body) {
        ctx.status(200).contentType("application/json");
        try {
            java.io.OutputStream out = ctx.res().getOutputStream();
            mapper.writer().without(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET)
                    .writeValue(out, body);
            out.flush();
        } catch (IOException e) {
            log.debug("answer not delivered: {}", e.toString());
        }
    }

    /** Reserves the request's body before it is read: its Content-Length, or the limit when unknown. */
    private static ByteBudget.Lease admitBody(Context ctx, HttpServers.Options options) {
        long length = ctx.req().getContentLengthLong();
        if (length > options.maxRequestBytes()) {
            throw ApiException.tooLarge("request body too large: " + length + " bytes; the limit is "
                    + options.maxRequestBytes());
        }
        boolean unknownLength = length < 0 && ctx.header("Transfer-Encoding") != null;
        return options.admission().bytes().reserve(unknownLength ? options.maxRequestBytes() : Math.max(0, length));
    }

    /**
     * Reads and drops what is left of the request body (at most {@code limit} bytes), so that the
     * answer reaches a client still writing its body; bounded in time by the idle timeout and the
     * minimum data rate. A client already gone is no error.
     */
    private static void discardUnread(Context ctx, long limit) {
        if (ctx.req().getContentLengthLong() <= 0 && ctx.header("Transfer-Encoding") == null) {
            return;
        }
        try {
            InputStream in = ctx.req().getInputStream();
            byte[] buf = new byte[16 * 1024];
            long left = limit + 1;
            int n;
            while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) >= 0) {
                left -= n;
            }
        } catch (IOException | RuntimeException e) {
            // the client went away or sent garbage; Jetty closes the connection
        }
    }

}
