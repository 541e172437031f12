package dev.dcache.common.metrics;

import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The server-side request meter shared by masters and aux nodes:
 * {@code dcache_http_server_requests_seconds} by route template, method and status, with
 * Prometheus histogram buckets. Tags never hold a raw path or a key: requests that matched no
 * route are tagged {@code uri="NOT_FOUND"} (see Javalin's micrometer plugin, {@code determineUri}).
 */
public final class HttpMetrics {
    /** Meter name, without the {@code _seconds} suffix Prometheus adds. */
    public static final String REQUESTS = "dcache.http.server.requests";

    private final MeterRegistry registry;
    // (method, uri, status) -> timer; avoids the registry's lookup cost on the hot path
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

    public HttpMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Records one finished request; plugged into Javalin's request logger. */
    public void record(Context ctx, float millis) {
        Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
        String uri = endpoint == null ? (ctx.statusCode() == 404 ? "NOT_FOUND" : "UNMATCHED") : endpoint.path;
        record(ctx.method().name(), uri, ctx.statusCode(), (long) (millis * 1_000_000.0));
    }

    /**
     * Records one finished request served outside Javalin's routing (a front handler).
     *
     * @param uri the route template, as Javalin would name it (never a raw path)
     */
    public void record(String method, String uri, int status, long nanos) {
        String cacheKey = method + ' ' + status + ' ' + uri;
        Timer timer = timers.get(cacheKey);
        if (timer == null) {
            timer = timers.computeIfAbsent(cacheKey, k -> Timer.builder(REQUESTS)
                    .description("HTTP requests served, by route template, method and status")
                    .tag("uri", uri)
                    .tag("method", method)
                    .tag("status", Integer.toString(status))
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofNanos(50_000))
                    .maximumExpectedValue(Duration.ofSeconds(10))
                    .register(registry));
        }
        timer.record(nanos, TimeUnit.NANOSECONDS);
    }
}
