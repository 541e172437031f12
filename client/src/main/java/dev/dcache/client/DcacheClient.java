package dev.dcache.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.client.error.DcacheException;
import dev.dcache.client.transport.Answer;
import dev.dcache.client.transport.Call;
import dev.dcache.client.transport.Pause;
import dev.dcache.client.transport.Transport;

import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/**
 * A client of the cache's public HTTP API (docs/api.md), for nginx or the masters.
 *
 * <p>Every operation comes twice: blocking, and {@code ...Async} returning a
 * {@link CompletableFuture} (completed exceptionally with the same exceptions, wrapped in a
 * {@link java.util.concurrent.CompletionException} by the stages after it). A key that is not there
 * is an answer, not an error: an empty {@link Optional}, {@code false}, or
 * {@link ConditionalRead.Missing}. Failures are {@link DcacheException}s; see its subtypes.
 *
 * <p>Every try has a timeout, and failures that a retry can fix are retried with back-off, moving
 * on to the next host ({@link dev.dcache.client.transport.RetryPolicy}). Writes ({@code put},
 * {@code putRaw}, {@code putAll}, {@code delete}) carry an {@code X-Request-Id} made once per call
 * and sent on every try, so the server applies each at most once. A retried {@code delete} whose
 * first try was applied but not answered reports {@code false}.
 *
 * <p>Thread-safe; share one per application: it holds one {@link HttpClient}, whose connections are
 * reused. {@link #close()} it when done.
 */
public final class DcacheClient implements AutoCloseable {
    private final ClientConfig config;
    private final HttpClient http;
    private final Transport transport;
    private final Requests requests;
    private final Answers answers = new Answers();

    DcacheClient(ClientConfig config, ObjectMapper mapper, Pause pause) {
        this.config = config;
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER);
        if (config.executor() != null) {
            b.executor(config.executor());
        }
        this.http = b.build();
        this.transport = new Transport(http, config.hosts(), config.requestTimeout(), config.retry(), pause);
        this.requests = new Requests(mapper);
    }

    /** A builder; give it at least one host. */
    public static DcacheClientBuilder builder() {
        return new DcacheClientBuilder();
    }

    /**
     * A new mapper set up as the client reads answers: decimals as {@code BigDecimal} with trailing
     * zeros kept, integers of any size, trailing tokens after a value refused. Use it to parse JSON
     * that is to be stored with every digit ({@code 1.10} stays {@code 1.10}).
     */
    public static ObjectMapper newObjectMapper() {
        return Answers.exactMapper();
    }

    /** The settings this client was built with. */
    public ClientConfig config() {
        return config;
    }

    // ---- reads

    /** A key's value with its version and expiry; empty when the key holds none. See {@link #getAsync}. */
    public Optional<Entry> get(String key) {
        return await(getAsync(key));
    }

    /**
     * {@code GET /data/{key}} for the JSON envelope: a JSON value as written, or raw bytes with their
     * content type ({@link Entry#isRaw()}).
     *
     * @throws IllegalArgumentException when the key is empty or not valid Unicode
     */
    public CompletableFuture<Optional<Entry>> getAsync(String key) {
        return call(requests.get(key), a -> found(a) ? Optional.of(answers.entry(a)) : Optional.empty());
    }

    /** A key's value as its own bytes; empty when the key holds none. See {@link #getRawAsync}. */
    public Optional<RawValue> getRaw(String key) {
        return await(getRawAsync(key));
    }

    /**
     * {@code GET /data/{key}} with an {@code Accept} that prefers the value's own type: raw bytes as
     * written with their content type, a JSON string as UTF-8 text, any other JSON value as its JSON
     * text.
     *
     * @throws IllegalArgumentException when the key is empty or not valid Unicode
     */
    public CompletableFuture<Optional<RawValue>> getRawAsync(String key) {
        return call(requests.getRaw(key), a -> found(a) ? Optional.of(answers.raw(key, a)) : Optional.empty());
    }

    /** The version a key holds, without its value; empty when it holds none. See {@link #headAsync}. */
    public OptionalLong head(String key) {
        return await(headAsync(key));
    }

    /**
     * {@code HEAD /data/{key}}: the version from the {@code ETag} (0 when the server sends none), or
     * empty when the key holds no value.
     *
     * @throws IllegalArgumentException when the key is empty or not valid Unicode
     */
    public CompletableFuture<OptionalLong> headAsync(String key) {
        return call(requests.head(key), a -> found(a)
                ? OptionalLong.of(Answers.etagVersion(a).orElse(0)) : OptionalLong.empty());
    }

    /** Whether a key holds a value ({@code HEAD}). See {@link #headAsync}. */
    public boolean exists(String key) {
        return await(existsAsync(key));
    }

    /** Whether a key holds a value: {@link #headAsync} is not empty. */
    public CompletableFuture<Boolean> existsAsync(String key) {
        return call(requests.head(key), DcacheClient::found);
    }

    /** A key's value unless it still holds {@code version}. See {@link #getIfNoneMatchAsync}. */
    public ConditionalRead getIfNoneMatch(String key, long version) {
        return await(getIfNoneMatchAsync(key, version));
    }

    /**
     * {@code GET /data/{key}} with {@code If-None-Match: "<version>"}: {@link ConditionalRead.NotModified}
     * (a 304, no value sent) when the key still holds that version, else the current value, or
     * {@link ConditionalRead.Missing}.
     *
     * @throws IllegalArgumentException when the key is empty or not valid Unicode
     */
    public CompletableFuture<ConditionalRead> getIfNoneMatchAsync(String key, long version) {
        return call(requests.getIfNoneMatch(key, version), a -> switch (a.status()) {
            case 304 -> new ConditionalRead.NotModified(Answers.etagVersion(a).orElse(version));
            case 404 -> new ConditionalRead.Missing();
            default -> new ConditionalRead.Modified(answers.entry(a));
        });
    }

    /** The values of many keys in one call. See {@link #getAllAsync}. */
    public BulkRead getAll(Collection<String> keys) {
        return await(getAllAsync(keys));
    }

    /**
     * {@code POST /data/bulk/get}: the keys found with their values and versions (no expiry), and
     * those missing. The server caps the answer's size (413: ask for fewer keys).
     */
    public CompletableFuture<BulkRead> getAllAsync(Collection<String> keys) {
        List<String> asked = List.copyOf(keys);
        return call(requests.getAll(asked), a -> answers.bulk(asked, a));
    }

    // ---- writes

    /** Stores a JSON value without expiry. See {@link #putAsync}. */
    public WriteResult put(String key, Object value) {
        return await(putAsync(key, value, null));
    }

    /** Stores a JSON value. See {@link #putAsync}. */
    public WriteResult put(String key, Object value, Duration ttl) {
        return await(putAsync(key, value, ttl));
    }

    /**
     * {@code POST /data}: stores {@code value} as JSON: a {@link JsonNode} as it is, any other object
     * as the builder's {@link ObjectMapper} writes it (a {@code String} becomes a JSON string, a
     * {@code Map} an object, ...).
     *
     * @param ttl the time to live, whole seconds (a fraction rounds up), or null for none
     * @throws IllegalArgumentException when the value is null (a JSON null included), the ttl not
     *                                  positive, or the key empty
     */
    public CompletableFuture<WriteResult> putAsync(String key, Object value, Duration ttl) {
        return call(requests.put(key, value, ttl), answers::write);
    }

    /** Stores raw bytes. See {@link #putRawAsync}. */
    public WriteResult putRaw(String key, byte[] bytes, String contentType, Duration ttl) {
        return await(putRawAsync(key, bytes, contentType, ttl));
    }

    /**
     * {@code PUT /data/{key}?ttl=}: stores {@code bytes} as they are, with their content type
     * ({@code type/subtype} with optional parameters, at most 200 characters), which a raw read
     * answers them with.
     *
     * @param contentType the bytes' type, or null for {@code application/octet-stream}
     * @param ttl         the time to live, whole seconds (a fraction rounds up), or null for none
     */
    public CompletableFuture<WriteResult> putRawAsync(String key, byte[] bytes, String contentType, Duration ttl) {
        return call(requests.putRaw(key, bytes, contentType, ttl), answers::write);
    }

    /** Removes a key. See {@link #deleteAsync}. */
    public boolean delete(String key) {
        return await(deleteAsync(key));
    }

    /** {@code DELETE /data/{key}}: true when the key held a value, false when it held none. */
    public CompletableFuture<Boolean> deleteAsync(String key) {
        return call(requests.delete(key), DcacheClient::found);
    }

    /** Stores many JSON values in one call. See {@link #putAllAsync}. */
    public int putAll(Map<String, ?> values, Duration ttl) {
        return await(putAllAsync(values, ttl));
    }

    /**
     * {@code POST /data/bulk}: stores every value as {@link #putAsync} would, all or nothing as far
     * as validation goes (one bad item: 400, nothing written).
     *
     * @param ttl the time to live of every value, or null for none
     * @return the number of values stored
     */
    public CompletableFuture<Integer> putAllAsync(Map<String, ?> values, Duration ttl) {
        return call(requests.putAll(values, ttl), answers::stored);
    }

    // ---- the cluster

    /** What the master answering sees of the cluster. See {@link #clusterAsync}. */
    public JsonNode cluster() {
        return await(clusterAsync());
    }

    /**
     * {@code GET /cluster}: the answering master's view (its id, the ring, each aux node's state).
     * Served by masters; nginx may not pass it on, so point the client at a master for it.
     */
    public CompletableFuture<JsonNode> clusterAsync() {
        return call(requests.cluster(), answers::json);
    }

    /** The answering node's metrics. See {@link #statsAsync}. */
    public String stats() {
        return await(statsAsync());
    }

    /**
     * {@code GET /metrics}: the answering master's metrics in the Prometheus text format, as it is
     * (docs/observability.md names them). Like {@link #clusterAsync}, a master's route.
     */
    public CompletableFuture<String> statsAsync() {
        return call(requests.metrics(), a -> new String(a.body(), StandardCharsets.UTF_8));
    }

    /** Closes the HTTP client, waiting for calls in flight. */
    @Override
    public void close() {
        http.close();
    }

    /**
     * Sends {@code call} and reads its answer with {@code read}. Cancelling the future returned
     * cancels the call (its try in flight and its retries), not only the reading.
     */
    private <T> CompletableFuture<T> call(Call call, Function<Answer, T> read) {
        CompletableFuture<Answer> sent = transport.send(call);
        CompletableFuture<T> result = sent.thenApply(read);
        result.whenComplete((r, e) -> {
            if (result.isCancelled()) {
                sent.cancel(true);
            }
        });
        return result;
    }

    private static boolean found(Answer a) {
        return a.status() != 404;
    }

    /** The future's value, or its failure rethrown as it is (unchecked); an interrupt cancels the call. */
    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new DcacheException(0, "interrupted while waiting for the cache", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new DcacheException(0, String.valueOf(cause), cause);
        }
    }
}
