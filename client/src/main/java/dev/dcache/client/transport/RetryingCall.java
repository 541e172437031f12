package dev.dcache.client.transport;

import dev.dcache.client.error.ConnectionException;
import dev.dcache.client.error.DcacheException;
import dev.dcache.client.error.OutcomeUnknownException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One logical call and its tries: send, look at what came back, then finish or wait and send again
 * to the next host.
 *
 * <p>What a failure means for a write decides what is thrown. A refused or timed-out connection
 * means the request never left: nothing can have been applied. A reset or a request timeout after
 * the connection was made, or a 504, means it may have been. Once any try of a write may have been
 * applied, the call's final failure is {@link OutcomeUnknownException} whatever the later tries
 * answered (a later 503 says only that <em>that</em> try applied nothing).
 *
 * <p>Tries never overlap: the next is sent only after the previous one's answer or failure, from
 * its callback, so the fields need no lock; {@code inFlight} is volatile only for {@link #cancel}.
 */
final class RetryingCall {
    private final Call call;
    private final Transport transport;
    private final HttpRequest.BodyPublisher body;
    private final CompletableFuture<Answer> result = new CompletableFuture<>();
    private int host;
    private int retries;
    private boolean mayHaveApplied;
    private volatile CompletableFuture<HttpResponse<byte[]>> inFlight;

    RetryingCall(Call call, Transport transport, int firstHost) {
        this.call = call;
        this.transport = transport;
        this.host = firstHost;
        this.body = call.body() == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(call.body());
    }

    CompletableFuture<Answer> start() {
        result.whenComplete((a, e) -> cancel());
        send();
        return result;
    }

    private void cancel() {
        CompletableFuture<HttpResponse<byte[]>> f = inFlight;
        if (result.isCancelled() && f != null) {
            f.cancel(true);
        }
    }

    private void send() {
        if (result.isDone()) {
            return; // cancelled by the caller while waiting for the retry
        }
        URI base = transport.host(host);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + call.pathAndQuery()))
                .method(call.method(), body)
                .timeout(transport.requestTimeout());
        call.headers().forEach(request::header);
        CompletableFuture<HttpResponse<byte[]>> f;
        try {
            f = transport.http().sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (RuntimeException e) { // a closed client, or a header the JDK refuses
            result.completeExceptionally(new DcacheException(0, "could not send " + describe(base) + ": " + e, e));
            return;
        }
        inFlight = f;
        f.whenComplete((response, failure) -> {
            if (failure == null) {
                answered(new Answer(response.statusCode(), response.headers(), response.body(), base));
            } else {
                failed(base, unwrap(failure));
            }
        });
    }

    private void answered(Answer a) {
        int s = a.status();
        if (s < 400 || (s == 404 && call.notFoundIsAnswer())) {
            result.complete(a);
            return;
        }
        DcacheException error = ErrorAnswers.toException(a, call);
        boolean retryable = s == 503 || (s == 504 && (!call.write() || transport.retry().retryOutcomeUnknown()));
        if (s == 504 && call.write()) {
            mayHaveApplied = true;
        }
        retryOrFail(error, retryable, a.retryAfter());
    }

    private void failed(URI base, Throwable failure) {
        if (!(failure instanceof IOException || failure instanceof UnresolvedAddressException)) {
            result.completeExceptionally(failure instanceof DcacheException d ? d
                    : new DcacheException(0, describe(base) + " failed: " + failure, failure));
            return;
        }
        boolean neverSent = failure instanceof ConnectException || failure instanceof HttpConnectTimeoutException
                || failure instanceof UnresolvedAddressException;
        String what = describe(base) + ": " + cause(failure);
        if (neverSent || !call.write()) {
            retryOrFail(new ConnectionException(what, failure), true, null);
            return;
        }
        mayHaveApplied = true;
        retryOrFail(new OutcomeUnknownException(0, what + " (the write may have been applied)", failure),
                transport.retry().retryOutcomeUnknown(), null);
    }

    private void retryOrFail(DcacheException error, boolean retryable, Duration retryAfter) {
        if (retryable && retries < transport.retry().maxRetries()) {
            retries++;
            host++;
            CompletableFuture.runAsync(this::send, transport.pauseBefore(retries, retryAfter));
            return;
        }
        result.completeExceptionally(mayHaveApplied && !(error instanceof OutcomeUnknownException)
                ? new OutcomeUnknownException(error.status(), "an earlier try of this write may have been applied;"
                        + " the last one: " + error.getMessage(), error)
                : error);
    }

    private String describe(URI base) {
        return call.method() + " " + base + call.pathAndQuery();
    }

    /** What went wrong, in words: the JDK's connection failures often carry no message. */
    private String cause(Throwable failure) {
        String detail = failure.getMessage() == null ? "" : " (" + failure.getMessage() + ")";
        if (failure instanceof HttpConnectTimeoutException) {
            return "no connection within the connect timeout" + detail;
        }
        if (failure instanceof HttpTimeoutException) {
            return "no answer within " + transport.requestTimeout().toMillis() + " ms";
        }
        if (failure instanceof ConnectException) {
            return "could not connect" + detail;
        }
        return failure.toString();
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while (c instanceof CompletionException && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
