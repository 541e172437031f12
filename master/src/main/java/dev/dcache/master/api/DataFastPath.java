package dev.dcache.master.api;

import dev.dcache.master.metrics.MasterMetrics;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.dcache.common.admission.ByteBudget;
import dev.dcache.common.concurrent.Futures;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.http.HttpServers;
import dev.dcache.common.wire.ErrorBody;
import dev.dcache.master.routing.DataRouter;
import dev.dcache.master.stall.RequestStart;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.VirtualThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Serves the three single-key data routes ({@code GET} and {@code DELETE /data/{key}},
 * {@code POST /data}) on Jetty's core API, in front of Javalin, without holding a thread.
 *
 * <h2>Why it exists</h2>
 * Through Javalin a read took a virtual thread, the servlet layer, and a park/unpark while the aux
 * node answered: on two cores that was most of the master's CPU per request, and the context
 * switches grew with the number of processes sharing the machine (BENCHMARKS.md). Here a request
 * is handled on the thread that parsed it (Jetty's selector): the key is decoded, the frame is put
 * on the aux connection, and the handler returns; the thread that reads the aux node's reply
 * writes the HTTP answer. No thread waits anywhere.
 *
 * <h2>What it leaves to Javalin</h2>
 * Everything else, unchanged: every other route, and any data request that is not plainly valid
 * (a key that does not decode, a body that does not parse or validate, a wrong content type, no
 * or an oversized {@code Content-Length}, no in-flight permit). Those go to {@link DataApi}
 * through Javalin on a virtual thread, a POST with its body replayed, so there is one definition
 * of every error and its message. Answers this handler writes itself are the success bodies of
 * {@link DataApi} and the errors the router raises ({@code 404}, {@code 503}, {@code 413}), in
 * the same JSON shape. It takes the same in-flight permit and records the same request metric
 * (route template, method, status) and access log line as a Javalin route.
 *
 * <h2>Admission</h2>
 * The same limits as a Javalin route ({@link HttpServers.Edge#admission()}), taken without waiting:
 * a request slot, and for a POST its body's bytes, before the body is read; a read's answer
 * reserves its value's bytes when the aux node's reply arrives and holds them until the answer is
 * written (a reader that does not read holds them, not the heap). When a slot or the body's bytes
 * are not free at once, the request goes to Javalin, which waits briefly on a virtual thread and
 * answers 503 if they do not come; an answer whose bytes are not free is a 503 here. A write that
 * reached this master after nginx gave up on it ({@link DataApi#isLate}) goes to Javalin, which
 * refuses it.
 *
 * <h2>Rules for code here</h2>
 * Nothing may block: this runs on Jetty's selector and on the aux reply readers. The router's
 * asynchronous operations never block ({@link DataRouter#getAsync}); writes to the client are
 * Jetty's non-blocking {@code Response.write}.
 */
public final class DataFastPath extends Handler.Wrapper implements MasterMetrics.FastPathReadings {
    private static final Logger log = LoggerFactory.getLogger(DataFastPath.class);
    private static final String DATA = "/data";
    private static final String DATA_PREFIX = "/data/";
    private static final String KEY_ROUTE = "/data/<key>";
    private static final String JSON = "application/json";

    private final DataApi api;
    private final DataRouter router;
    private final HttpServers.Edge edge;
    private final long maxBodyBytes;
    private final LongAdder served = new LongAdder();
    private final LongAdder delegated = new LongAdder();

    /**
     * @param maxBodyBytes largest POST body read here; a longer one goes to Javalin (which refuses it)
     */
    public DataFastPath(DataApi api, DataRouter router, HttpServers.Edge edge, long maxBodyBytes) {
        this.api = api;
        this.router = router;
        this.edge = edge;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Requests this handler answered itself. */
    @Override
    public long served() {
        return served.sum();
    }

    /** Requests it passed to Javalin. */
    @Override
    public long delegated() {
        return delegated.sum();
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING; // Jetty may call handle() on its selector thread
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long start = System.nanoTime();
        String method = request.getMethod();
        String path = request.getHttpURI().getPath();
        if (path == null || !path.startsWith(DATA)) {
            return delegate(request, response, callback);
        }
        if ("POST".equals(method) && path.length() == DATA.length()) {
            return post(request, response, callback, start);
        }
        boolean get = "GET".equals(method);
        if ((get || "DELETE".equals(method)) && path.startsWith(DATA_PREFIX)) {
            String key = plainKey(path);
            String requestId = get ? null : plainRequestId(request);
            if (key != null && requestId != INVALID && (get || !api.isLate(request.getHeaders().get(RequestStart.HEADER)))
                    && edge.admission().tryEnter()) {
                served.increment();
                ByteBudget.Lease lease = edge.admission().bytes().empty();
                if (get) {
                    answer(router.getAsync(key).thenApply(e -> reserveAnswer(e, lease)),
                            e -> new DataApi.GetResponse(key, e.value(), api.remainingSeconds(e)),
                            method, KEY_ROUTE, lease, response, callback, start);
                } else {
                    answer(router.deleteAsync(key, requestId).thenApply(existed -> existed ? Boolean.TRUE : null),
                            existed -> new DataApi.DeleteResponse(key, true), method, KEY_ROUTE, lease, response,
                            callback, start);
                }
                return true;
            }
        }
        return delegate(request, response, callback);
    }

    /** Marks a request id Javalin must refuse (400); compared by identity. */
    private static final String INVALID = new String("invalid request id");

    /** The request's {@code X-Request-Id}, null without one, {@link #INVALID} when Javalin must refuse it. */
    private static String plainRequestId(Request request) {
        try {
            return DataApi.requestId(request.getHeaders().get(DataApi.REQUEST_ID_HEADER));
        } catch (ApiException invalid) {
            return INVALID;
        }
    }

    /**
     * The key of a path {@code /data/<segment>} whose segment is plain (unreserved characters and
     * percent-escapes) and decodes to a valid key; else null, and Javalin decides.
     */
    private String plainKey(String path) {
        int n = path.length();
        if (n == DATA_PREFIX.length()) {
            return null;
        }
        for (int i = DATA_PREFIX.length(); i < n; i++) {
            char c = path.charAt(i);
            boolean plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '-' || c == '_' || c == '.' || c == '~' || c == '%' || c == ':' || c == '@';
            if (!plain) {
                return null;
            }
        }
        String segment = path.substring(DATA_PREFIX.length());
        if (segment.equals(".") || segment.equals("..")) {
            return null;
        }
        try {
            return api.key(path);
        } catch (ApiException e) {
            return null;
        }
    }

    /**
     * The entry read, with its answer's bytes added to {@code lease}; throws the 503 of a full
     * budget (this thread must not wait for bytes).
     */
    private dev.dcache.common.wire.Entry reserveAnswer(dev.dcache.common.wire.Entry e, ByteBudget.Lease lease) {
        if (e != null && !lease.tryGrow(DataApi.answerBytes(e.value()))) {
            throw edge.admission().bytes().refuseBusy();
        }
        return e;
    }

    private boolean post(Request request, Response response, Callback callback, long start) {
        long length = request.getLength();
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        String requestId = plainRequestId(request);
        if (length <= 0 || length > maxBodyBytes || type == null || !type.startsWith(JSON) || requestId == INVALID
                || api.isLate(request.getHeaders().get(RequestStart.HEADER))) {
            return delegate(request, response, callback);
        }
        ByteBudget.Lease lease = reserveBody(length);
        if (lease == null) {
            return delegate(request, response, callback); // Javalin waits for the bytes, or refuses
        }
        if (!edge.admission().tryEnter()) {
            lease.close();
            return delegate(request, response, callback);
        }
        Content.Source.asByteArrayAsync(request, (int) length).whenComplete((body, failure) -> {
            try {
                posted(request, response, callback, start, type, requestId, body, failure, lease);
            } catch (RuntimeException | Error bug) {
                // never leave the client without an answer, nor the slot or the bytes taken
                log.error("unhandled error on POST {}", DATA, bug);
                lease.close();
                edge.admission().leave();
                Response.writeError(request, response, callback, 500, "internal error");
            }
        });
        return true;
    }

    /** The body's bytes if they are free now; null when not (or when the body is larger than the budget). */
    private ByteBudget.Lease reserveBody(long length) {
        try {
            return edge.admission().bytes().tryReserve(length);
        } catch (ApiException tooLarge) {
            return null; // Javalin answers the 413
        }
    }

    /** The rest of {@link #post} once the body is read; answers, or passes the request on, exactly once. */
    private void posted(Request request, Response response, Callback callback, long start, String type,
                        String requestId, byte[] body, Throwable failure,
                        ByteBudget.Lease lease) {
        DataRouter.BulkItem item = null;
        if (failure == null) {
            try {
                item = api.entry(type, body);
            } catch (java.io.IOException | RuntimeException invalid) {
                item = null; // Javalin answers it with DataApi's own error
            }
        }
        if (item == null) {
            if (failure != null) {
                // the body could not be read (client gone, or longer than it said): nothing to replay
                Response.writeError(request, response, callback, 400, "request body could not be read");
                edge.served("POST", DATA, 400, System.nanoTime() - start);
            } else {
                delegate(new Replayed(request, body), response, callback);
            }
            // last: if the above threw, the caller gives them back
            lease.close();
            edge.admission().leave();
            return;
        }
        served.increment();
        String key = item.key();
        DataRouter.BulkItem valid = item;
        answer(router.putAsync(key, valid.value(), valid.ttlMillis(), requestId),
                r -> new DataApi.PutResponse(key, r.version(), r.replicas()), "POST", DATA, lease, response, callback,
                start);
    }

    /**
     * Writes the answer when {@code operation} completes: 200 with {@code body(result)}, 404 for a
     * null result, the status of an {@link ApiException}, 500 for anything else. Gives back the
     * request slot before the write and {@code lease} once the answer is written.
     */
    private <T> void answer(CompletableFuture<T> operation, Function<T, Object> body, String method, String route,
                            ByteBudget.Lease lease, Response response, Callback callback, long start) {
        operation.whenComplete((result, failure) -> {
            int status;
            Object json;
            if (failure == null && result != null) {
                try {
                    status = 200;
                    json = body.apply(result);
                } catch (RuntimeException bug) {
                    log.error("unhandled error on {} {}", method, route, bug);
                    status = 500;
                    json = new ErrorBody("internal error");
                }
            } else if (failure == null) {
                status = 404;
                json = new ErrorBody(DataApi.KEY_NOT_FOUND);
            } else {
                Throwable cause = Futures.cause(failure);
                if (cause instanceof ApiException e) {
                    status = e.status();
                    json = new ErrorBody(e.getMessage());
                    e.headers().forEach((name, value) -> response.getHeaders().put(name, value));
                } else {
                    log.error("unhandled error on {} {}", method, route, cause);
                    status = 500;
                    json = new ErrorBody("internal error");
                }
            }
            // before the write: writing may go on to handle the connection's next request inline
            edge.admission().leave();
            edge.served(method, route, status, System.nanoTime() - start);
            write(response, Callback.from(lease::close, callback), status, json); // bytes back before the next request runs
        });
    }

    private void write(Response response, Callback callback, int status, Object json) {
        byte[] bytes;
        try {
            bytes = edge.mapper().writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            log.error("cannot write a JSON answer", e);
            status = 500;
            bytes = "{\"error\":\"internal error\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, JSON);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    /** Hands the request to Javalin on a virtual thread (the servlet layer blocks). */
    private boolean delegate(Request request, Response response, Callback callback) {
        delegated.increment();
        Handler next = getHandler();
        Executor executor = VirtualThreads.getVirtualThreadsExecutor(getServer().getThreadPool());
        Runnable run = () -> {
            try {
                if (next == null || !next.handle(request, response, callback)) {
                    Response.writeError(request, response, callback, 404);
                }
            } catch (Throwable t) {
                Response.writeError(request, response, callback, t);
            }
        };
        if (executor != null) {
            executor.execute(run);
        } else {
            getServer().getThreadPool().execute(run);
        }
        return true;
    }

    /** A request whose body was already read here, handed on with that body to read again. */
    private static final class Replayed extends Request.Wrapper {
        private Content.Chunk body;

        Replayed(Request request, byte[] body) {
            super(request);
            this.body = Content.Chunk.from(ByteBuffer.wrap(body), true);
        }

        @Override
        public synchronized Content.Chunk read() {
            Content.Chunk chunk = body;
            body = Content.Chunk.EOF;
            return chunk;
        }

        @Override
        public void demand(Runnable demandCallback) {
            demandCallback.run(); // the whole body is here
        }
    }
}
