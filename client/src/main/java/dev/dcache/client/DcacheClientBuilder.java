package dev.dcache.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.client.transport.Pause;
import dev.dcache.client.transport.RetryPolicy;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * Builds a {@link DcacheClient}. Only a host is required:
 *
 * <pre>{@code
 * DcacheClient client = DcacheClient.builder()
 *         .host("http://cache-1:8080").host("http://cache-2:8080")
 *         .requestTimeout(Duration.ofSeconds(2))
 *         .build();
 * }</pre>
 *
 * Defaults: connect timeout 2 s, request timeout 10 s, {@link RetryPolicy#DEFAULT} (3 retries, back-off
 * 50 ms doubling up to 2 s, writes of unknown outcome retried). Not thread-safe; the client it builds is.
 */
public final class DcacheClientBuilder {
    private final List<URI> hosts = new ArrayList<>();
    private Duration connectTimeout = Duration.ofSeconds(2);
    private Duration requestTimeout = Duration.ofSeconds(10);
    private int maxRetries = RetryPolicy.DEFAULT.maxRetries();
    private Duration backoffBase = RetryPolicy.DEFAULT.backoffBase();
    private Duration backoffCap = RetryPolicy.DEFAULT.backoffCap();
    private boolean retryOutcomeUnknown = RetryPolicy.DEFAULT.retryOutcomeUnknown();
    private Executor executor;
    private ObjectMapper mapper;
    private Pause pause;

    DcacheClientBuilder() {
    }

    /** Adds a host to send calls to (nginx, or a master), e.g. {@code http://127.0.0.1:8080}; calls go to the hosts in turn. */
    public DcacheClientBuilder host(String uri) {
        return host(URI.create(uri));
    }

    /** Adds a host to send calls to; calls go to the hosts in turn, and a retry to the next one. */
    public DcacheClientBuilder host(URI uri) {
        hosts.add(Objects.requireNonNull(uri, "uri"));
        return this;
    }

    /** The limit of opening a connection (default 2 s); past it the call moves on to the next host. */
    public DcacheClientBuilder connectTimeout(Duration timeout) {
        this.connectTimeout = timeout;
        return this;
    }

    /** The limit of each try, from sending to the whole answer (default 10 s). */
    public DcacheClientBuilder requestTimeout(Duration timeout) {
        this.requestTimeout = timeout;
        return this;
    }

    /** Retries after the first try (default 3; 0 tries once). See {@link RetryPolicy} for what is retried. */
    public DcacheClientBuilder maxRetries(int retries) {
        this.maxRetries = retries;
        return this;
    }

    /** The wait before the first retry, doubled on each next one up to {@link #backoffCap} (default 50 ms). */
    public DcacheClientBuilder backoffBase(Duration base) {
        this.backoffBase = base;
        return this;
    }

    /** The longest wait between tries, a server's {@code Retry-After} included (default 2 s). */
    public DcacheClientBuilder backoffCap(Duration cap) {
        this.backoffCap = cap;
        return this;
    }

    /**
     * Whether a write whose outcome is unknown (a 504, or no answer after it may have reached the
     * server) is sent again with the same {@code X-Request-Id}, which the server applies at most
     * once (default on). Off: {@link dev.dcache.client.error.OutcomeUnknownException} at once.
     */
    public DcacheClientBuilder retryOutcomeUnknown(boolean retry) {
        this.retryOutcomeUnknown = retry;
        return this;
    }

    /** What runs the HTTP client's callbacks and the retries (default: the JDK's own executor, and the common pool). */
    public DcacheClientBuilder executor(Executor executor) {
        this.executor = Objects.requireNonNull(executor, "executor");
        return this;
    }

    /** The mapper that turns Java objects given to {@code put} into JSON (default: one that keeps every digit of a {@code BigDecimal}). */
    public DcacheClientBuilder objectMapper(ObjectMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
        return this;
    }

    /** Tests: how retries wait (by default real time, on the executor). */
    DcacheClientBuilder pause(Pause pause) {
        this.pause = Objects.requireNonNull(pause, "pause");
        return this;
    }

    /** The settings so far, validated. @throws IllegalArgumentException naming a bad value */
    public ClientConfig config() {
        return new ClientConfig(hosts, connectTimeout, requestTimeout,
                new RetryPolicy(maxRetries, backoffBase, backoffCap, retryOutcomeUnknown), executor);
    }

    /** A new client. @throws IllegalArgumentException naming a bad setting */
    public DcacheClient build() {
        ClientConfig config = config();
        Pause p = pause != null ? pause
                : Pause.on(config.executor() != null ? config.executor() : ForkJoinPool.commonPool());
        return new DcacheClient(config, mapper != null ? mapper : Answers.exactMapper(), p);
    }
}
