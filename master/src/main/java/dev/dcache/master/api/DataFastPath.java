package dev.dcache.master.api;

import dev.dcache.common.admission.Admission;
import dev.dcache.common.admission.ByteBudget;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.http.ErrorAnswers;
import dev.dcache.common.http.HttpServers;
import dev.dcache.master.metrics.MasterMetrics;
import dev.dcache.master.routing.DataRouter;
import dev.dcache.master.stall.RequestStart;
import dev.dcache.common.value.StoredValue;
import dev.dcache.common.wire.Entry;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.VirtualThreads;

import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

/**
 * The single-key data path: every request to {@code /data} and {@code /data/{key}} ({@code GET},
 * {@code HEAD}, {@code PUT}, {@code DELETE}, {@code POST /data}, and the 405 of any other method
 * there), on Jetty's core API in front of Javalin, without holding a thread. What a read answers
 * (envelope, raw bytes, 304, 406) is {@link ReadNegotiation}'s call.
 *
 * <h2>Why Jetty's core API</h2>
 * Through Javalin a read took a virtual thread, the servlet layer, and a park/unpark while the aux
 * node answered: on two cores that was most of the master's CPU per request, and the context
 * switches grew with the number of processes sharing the machine (BENCHMARKS.md). Here a request
 * is handled on the thread that parsed it (Jetty's selector): the key is decoded, the frame is put
 * on the aux connection, and the handler returns; the thread that reads the aux node's reply
 * writes the HTTP answer. No thread waits anywhere.
 *
 * <h2>One path, one parser, one error writer</h2>
 * This is the only code that serves these routes: requests are parsed and validated by
 * {@link DataApi} (the same parser the bulk routes use), and every answer that is not a success,
 * whether the request was invalid or the router failed, is written by {@link ErrorAnswers}, the
 * same writer Javalin's routes and Jetty's error pages use. The bulk routes
 * ({@link DataApi#BULK_ROUTES}) and every other route go on to Javalin.
 *
 * <h2>Admission</h2>
 * The same limits as a Javalin route ({@link HttpServers.Edge#admission()}): a request slot, taken
 * without waiting (503 when none is free), and for a POST its body's bytes before the body is read:
 * its {@code Content-Length}, or the whole body limit when the length is not declared. When those
 * bytes are not free at once the POST waits for them briefly on a virtual thread (503 when they do
 * not come) and then goes on here. A read's answer reserves its value's bytes when the aux node's
 * reply arrives and holds them until the answer is written (a reader that does not read holds
 * them, not the heap). A request refused before its body was read has that body read and dropped
 * first (at most the body limit), so that a client that writes its whole body before reading sees
 * the answer instead of a reset connection. A write that reached this master after nginx gave up
 * on it ({@link DataApi#refuseIfLate}) is refused.
 *
 * <h2>Rules for code here</h2>
 * Nothing may block: this runs on Jetty's selector and on the aux reply readers. The router's
 * operations never block ({@link DataRouter#getAsync}); writes to the client are Jetty's
 * non-blocking {@code Response.write}; the one wait (for body bytes) runs on a virtual thread.
 */
public final class DataFastPath extends Handler.Wrapper implements MasterMetrics.FastPathReadings {
    private static final String DATA = "/data";
    private static final String DATA_PREFIX = "/data/";
    private static final String KEY_ROUTE = "/data/<key>";

    private final DataApi api;
    private final DataRouter router;
    private final HttpServers.Edge edge;
    private final Admission admission;
    private final long maxBodyBytes;
    private final LongAdder served = new LongAdder();
    private final LongAdder delegated = new LongAdder();

    /**
     * @param maxBodyBytes largest POST body; a longer one is refused with 413
     */
    public DataFastPath(DataApi api, DataRouter router, HttpServers.Edge edge, long maxBodyBytes) {
        this.api = api;
        this.router = router;
        this.edge = edge;
        this.admission = edge.admission();
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Requests this handler answered. */
    @Override
    public long served() {
        return served.sum();
    }

    /** Requests it passed to Javalin (every route but the single-key data routes). */
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
        long start = edge.ticker().read();
        String method = request.getMethod();
        String path = request.getHttpURI().getPath();
        String route = route(method, path);
        if (route == null) {
            return delegate(request, response, callback);
        }
        served.increment();
        Exchange x = new Exchange(edge, maxBodyBytes, request, response, callback, method, route, start);
        try {
            if (route.equals(DATA)) {
                if (method.equals("POST")) {
                    post(x);
                } else {
                    x.refuseBeforeBody(notAllowed(method, path, "POST"));
                }
            } else if (method.equals("GET") || method.equals("HEAD")) {
                get(x, path);
            } else if (method.equals("PUT")) {
                put(x, path);
            } else if (method.equals("DELETE")) {
                delete(x, path);
            } else {
                x.refuseBeforeBody(notAllowed(method, path, "GET, HEAD, PUT, DELETE"));
            }
        } catch (RuntimeException | Error failure) {
            x.fail(failure); // never leave the client without an answer, nor the slot or the bytes taken
        }
        return true;
    }

    /**
     * The route template of a single-key data request: {@code /data}, {@code /data/<key>}, or null
     * for any other request (Javalin's). A key segment of {@code .} or {@code ..} is left to Jetty's
     * path rules, and so are the bulk routes' POSTs.
     */
    private static String route(String method, String path) {
        if (path == null || !path.startsWith(DATA)) {
            return null;
        }
        if (path.length() == DATA.length()) {
            return DATA;
        }
        if (!path.startsWith(DATA_PREFIX) || path.length() == DATA_PREFIX.length()
                || (method.equals("POST") && DataApi.BULK_ROUTES.contains(path))) {
            return null;
        }
        String segment = path.substring(DATA_PREFIX.length());
        return segment.equals(".") || segment.equals("..") ? null : KEY_ROUTE;
    }

    private static ApiException notAllowed(String method, String path, String allowed) {
        return new ApiException(405, "method " + method + " not allowed on " + ErrorAnswers.shownPath(path),
                Map.of("Allow", allowed));
    }

    /** {@code GET} and {@code HEAD}: the envelope or the raw bytes ({@link ReadNegotiation}), or 304. */
    private void get(Exchange x, String path) {
        String key = api.key(path);
        HttpFields headers = x.request.getHeaders();
        String accept = headers.get(HttpHeader.ACCEPT);
        String ifNoneMatch = headers.get(HttpHeader.IF_NONE_MATCH);
        x.enter();
        x.complete(router.getAsync(key).thenApply(e -> x.reserveAnswer(e)), e -> read(x, key, e, accept, ifNoneMatch));
    }

    private Exchange.Reply read(Exchange x, String key, Entry e, String accept, String ifNoneMatch) {
        String etag = ReadNegotiation.etag(e.version());
        Long ttl = api.remainingSeconds(e);
        Map<String, String> headers = ttl == null ? Map.of("ETag", etag, "Vary", "Accept")
                : Map.of("ETag", etag, "Vary", "Accept", "X-TTL", Long.toString(ttl));
        if (ReadNegotiation.notModified(ifNoneMatch, etag)) {
            return Exchange.Reply.notModified(headers);
        }
        StoredValue.Decoded value = StoredValue.decode(e.value());
        switch (ReadNegotiation.form(accept, value.rawContentType())) {
            case RAW:
                return new Exchange.Reply(200, value.rawContentType(), value.bytes(), headers);
            case NONE:
                throw new ApiException(406, "Accept allows neither application/json nor this value's type, "
                        + value.rawContentType());
            default:
                return x.json(api.getResponse(key, e, value), headers);
        }
    }

    private void delete(Exchange x, String path) {
        String key = api.key(path);
        HttpFields headers = x.request.getHeaders();
        DataApi.refuseConditional(headers.get(HttpHeader.IF_MATCH), headers.get(HttpHeader.IF_NONE_MATCH));
        String requestId = DataApi.requestId(headers.get(DataApi.REQUEST_ID_HEADER));
        api.refuseIfLate(headers.get(RequestStart.HEADER));
        x.enter();
        x.complete(router.deleteAsync(key, requestId).thenApply(existed -> existed ? Boolean.TRUE : null),
                existed -> x.json(new DataApi.DeleteResponse(key, true), Map.of()));
    }

    /**
     * {@code PUT /data/{key}?ttl=s}: the body, any content type, is the value's bytes. The request
     * is checked whole (key, TTL, content type, no condition, request id) before its body is read.
     */
    private void put(Exchange x, String path) {
        String key;
        long ttlMillis;
        String contentType;
        String requestId;
        try {
            key = api.key(path);
            ttlMillis = api.ttlQueryMillis(x.request.getHttpURI().getQuery());
            HttpFields headers = x.request.getHeaders();
            DataApi.refuseConditional(headers.get(HttpHeader.IF_MATCH), headers.get(HttpHeader.IF_NONE_MATCH));
            contentType = DataApi.rawContentType(headers.get(HttpHeader.CONTENT_TYPE));
            requestId = DataApi.requestId(headers.get(DataApi.REQUEST_ID_HEADER));
        } catch (ApiException invalid) {
            x.refuseBeforeBody(invalid);
            return;
        }
        withBody(x, api.maxValueBytes(), "value", body -> write(x, key,
                api.rawValue(contentType, body), ttlMillis, requestId));
    }

    /** {@code POST /data}: the body is the JSON entry. */
    private void post(Exchange x) {
        HttpFields headers = x.request.getHeaders();
        try {
            DataApi.refuseConditional(headers.get(HttpHeader.IF_MATCH), headers.get(HttpHeader.IF_NONE_MATCH));
        } catch (ApiException conditional) {
            x.refuseBeforeBody(conditional);
            return;
        }
        withBody(x, maxBodyBytes, "request body", body -> posted(x, body));
    }

    /** Starts a write of {@code storedValue} and answers with its version. */
    private void write(Exchange x, String key, String storedValue, long ttlMillis, String requestId) {
        x.complete(router.putAsync(key, storedValue, ttlMillis, requestId),
                r -> x.json(new DataApi.PutResponse(key, r.version(), r.replicas()),
                        Map.of("ETag", ReadNegotiation.etag(r.version()))));
    }

    /** What is done with a body once read whole. */
    private interface BodyHandler {
        void accept(byte[] body) throws java.io.IOException;
    }

    /**
     * A write's body, in the order a Javalin route would check it: a request slot, the declared
     * length, the body's bytes, lateness; then the body is read (at most {@code limit} bytes:
     * 413 past that) and handed on.
     */
    private void withBody(Exchange x, long limit, String what, BodyHandler then) {
        if (!admission.tryEnter()) {
            x.refuseBeforeBody(admission.refuseRequest());
            return;
        }
        x.entered = true;
        long length = x.request.getLength();
        if (length > limit) {
            x.refuseBeforeBody(ApiException.tooLarge(what + " too large: " + length
                    + " bytes; the limit is " + limit));
            return;
        }
        // a body of undeclared length (chunked) may be up to the limit; without either header there is none
        boolean chunked = length < 0 && x.request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
        long reserve = chunked ? limit : Math.max(0, length);
        ByteBudget.Lease lease;
        try {
            lease = admission.bytes().tryReserve(reserve);
        } catch (ApiException tooLargeForTheBudget) {
            x.refuseBeforeBody(tooLargeForTheBudget);
            return;
        }
        if (lease != null) {
            admitted(x, lease, limit, then);
            return;
        }
        onVirtualThread(() -> {
            ByteBudget.Lease waited;
            try {
                waited = admission.bytes().reserve(reserve); // waits briefly, then 503
            } catch (RuntimeException refused) {
                x.refuseBeforeBody(refused);
                return;
            }
            try {
                admitted(x, waited, limit, then);
            } catch (RuntimeException | Error failure) {
                x.fail(failure);
            }
        });
    }

    private void admitted(Exchange x, ByteBudget.Lease lease, long limit, BodyHandler then) {
        x.lease = lease;
        try {
            api.refuseIfLate(x.request.getHeaders().get(RequestStart.HEADER));
        } catch (ApiException late) {
            x.refuseBeforeBody(late);
            return;
        }
        BodyReader.read(x.request, limit, (body, failure) -> {
            try {
                if (failure != null) {
                    x.fail(failure);
                } else {
                    then.accept(body);
                }
            } catch (java.io.IOException | RuntimeException | Error failed) {
                x.fail(failed);
            }
        });
    }

    private void posted(Exchange x, byte[] body) throws java.io.IOException {
        DataRouter.BulkItem item = api.entry(x.request.getHeaders().get(HttpHeader.CONTENT_TYPE), body);
        String requestId = DataApi.requestId(x.request.getHeaders().get(DataApi.REQUEST_ID_HEADER));
        write(x, item.key(), item.value(), item.ttlMillis(), requestId);
    }

    /** Hands the request to Javalin on a virtual thread (the servlet layer blocks). */
    private boolean delegate(Request request, Response response, Callback callback) {
        delegated.increment();
        Handler next = getHandler();
        onVirtualThread(() -> {
            try {
                if (next == null || !next.handle(request, response, callback)) {
                    Response.writeError(request, response, callback, 404);
                }
            } catch (Throwable t) {
                Response.writeError(request, response, callback, t);
            }
        });
        return true;
    }

    private void onVirtualThread(Runnable run) {
        Executor executor = VirtualThreads.getVirtualThreadsExecutor(getServer().getThreadPool());
        (executor != null ? executor : getServer().getThreadPool()).execute(run);
    }
}
