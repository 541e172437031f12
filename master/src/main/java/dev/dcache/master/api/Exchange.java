package dev.dcache.master.api;

import dev.dcache.common.admission.Admission;
import dev.dcache.common.admission.ByteBudget;
import dev.dcache.common.concurrent.Futures;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.http.ErrorAnswers;
import dev.dcache.common.http.HttpServers;
import dev.dcache.common.wire.Entry;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One single-key request on its way through {@link DataFastPath}: what it holds (a request slot,
 * bytes of the budget) and how it is answered, exactly once: a success body, or an error answer
 * from {@link ErrorAnswers}. The slot is given back and the request recorded before the answer is
 * written; the bytes once it is written.
 */
final class Exchange {
    private static final Logger log = LoggerFactory.getLogger(Exchange.class);

    private final HttpServers.Edge edge;
    private final Admission admission;
    private final long maxBodyBytes;
    final Request request;
    final Response response;
    final Callback callback;
    final String method;
    final String route;
    final long start;
    boolean entered;
    ByteBudget.Lease lease;

    /** @param maxBodyBytes the most of an unread body dropped before a refusal is answered */
    Exchange(HttpServers.Edge edge, long maxBodyBytes, Request request, Response response, Callback callback,
             String method, String route, long start) {
        this.edge = edge;
        this.admission = edge.admission();
        this.maxBodyBytes = maxBodyBytes;
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.method = method;
        this.route = route;
        this.start = start;
    }

    /** Takes a request slot without waiting; 503 when none is free. */
    void enter() {
        if (!admission.tryEnter()) {
            throw admission.refuseRequest();
        }
        entered = true;
        lease = admission.bytes().empty();
    }

    /** The entry read, with its answer's bytes added to the lease; the 503 of a full budget. */
    Entry reserveAnswer(Entry e) {
        if (e != null && !lease.tryGrow(DataApi.answerBytes(e.value()))) {
            throw admission.bytes().refuseBusy();
        }
        return e;
    }

    /**
     * A whole answer.
     *
     * @param contentType null for none (a 304)
     * @param headers     more headers, e.g. {@code ETag}
     */
    record Reply(int status, String contentType, byte[] body, Map<String, String> headers) {
        /** A 304: headers, no body. */
        static Reply notModified(Map<String, String> headers) {
            return new Reply(304, null, new byte[0], headers);
        }
    }

    /** A 200 with {@code body} as JSON, and {@code headers}. */
    Reply json(Object body, Map<String, String> headers) {
        try {
            return new Reply(200, "application/json", edge.mapper().writeValueAsBytes(body), headers);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("answer not writable as JSON", e);
        }
    }

    /**
     * Answers when {@code operation} completes: {@code answer(result)}, 404 for a null result, the
     * error answer of a failure. A {@code HEAD} gets the headers of that answer and no body.
     */
    <T> void complete(CompletableFuture<T> operation, Function<T, Reply> answer) {
        operation.whenComplete((result, failure) -> {
            if (failure != null) {
                fail(Futures.cause(failure));
            } else if (result == null) {
                fail(ApiException.notFound(DataApi.KEY_NOT_FOUND));
            } else {
                Reply reply;
                try {
                    reply = answer.apply(result);
                } catch (RuntimeException bug) {
                    fail(bug);
                    return;
                }
                finish(reply.status(), () -> write(reply));
            }
        });
    }

    private void write(Reply reply) {
        response.setStatus(reply.status());
        reply.headers().forEach((name, value) -> response.getHeaders().put(name, value));
        if (reply.contentType() != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
        }
        if (reply.status() != 304) {
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, reply.body().length);
        }
        boolean noBody = reply.body().length == 0 || method.equals("HEAD");
        response.write(true, noBody ? BufferUtil.EMPTY_BUFFER : ByteBuffer.wrap(reply.body()), written());
    }

    /** Answers with the error answer of {@code failure} ({@link ErrorAnswers}). */
    void fail(Throwable failure) {
        ErrorAnswers.Answer answer = ErrorAnswers.of(failure);
        if (!answer.expected()) {
            log.error("unhandled error on {} {}", method, route, failure);
        }
        finish(answer.status(), () -> ErrorAnswers.write(edge.mapper(), answer, response, written()));
    }

    /** {@link #fail}, after reading and dropping the unread body (at most the body limit). */
    void refuseBeforeBody(Throwable refusal) {
        BodyReader.discard(request, maxBodyBytes, () -> fail(refusal));
    }

    /**
     * Gives back the request slot and records the request, then writes: writing may go on to
     * handle the connection's next request inline. The bytes go back once the answer is written.
     */
    private void finish(int status, Runnable write) {
        if (entered) {
            entered = false;
            admission.leave();
        }
        edge.served(method, route, status, edge.ticker().read() - start);
        write.run();
    }

    private Callback written() {
        ByteBudget.Lease held = lease;
        return held == null ? callback : Callback.from(held::close, callback);
    }
}
