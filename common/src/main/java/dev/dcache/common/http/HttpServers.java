package dev.dcache.common.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.admission.Admission;
import dev.dcache.common.metrics.AdmissionMetrics;
import dev.dcache.common.metrics.HttpMetrics;
import dev.dcache.common.time.Ticker;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.http.UriCompliance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Builds the Javalin server both node kinds run: virtual threads, the strict JSON mapper, one
 * error mapper that answers every failure as {@code {"error": "..."}}, request metrics tagged by
 * route template, {@code GET /metrics}, and server-side limits (body size, idle timeout, and
 * {@link Admission}: requests and bytes of bodies in flight, see {@link AdmittedRoutes}).
 * Failures are mapped to answers by {@link ErrorMapping}.
 */
public final class HttpServers {
    /** {@code ACCESS_LOG=true}: one INFO line per request (route template, never the raw path or key). */
    private static final Logger ACCESS = LoggerFactory.getLogger("access");

    private HttpServers() {
    }

    /**
     * Server-side limits and plumbing shared by both node kinds.
     *
     * @param admission      requests and bytes of bodies served at once; past them, a short wait
     *                       (bytes) then 503 with {@code Retry-After} instead of queueing without
     *                       bound ({@code /health} and {@code /metrics} are exempt)
     * @param maxHeaderBytes largest request line plus headers; larger is 431 (or 414 for the URI)
     * @param unbudgeted     route paths whose (small, bounded) bodies take no bytes of the budget:
     *                       control traffic that must pass while data traffic fills it (heartbeats)
     * @param ticker         what a front handler times its requests with ({@link Edge#ticker()})
     */
    public record Options(long maxRequestBytes, long idleTimeoutMillis, Admission admission, int maxHeaderBytes,
                          ObjectMapper mapper, PrometheusMeterRegistry registry, Set<String> unbudgeted,
                          Ticker ticker) {
        public Options {
            unbudgeted = Set.copyOf(unbudgeted);
        }

        /** Options whose front handler times requests with {@link Ticker#system()}. */
        public Options(long maxRequestBytes, long idleTimeoutMillis, Admission admission, int maxHeaderBytes,
                       ObjectMapper mapper, PrometheusMeterRegistry registry, Set<String> unbudgeted) {
            this(maxRequestBytes, idleTimeoutMillis, admission, maxHeaderBytes, mapper, registry, unbudgeted,
                    Ticker.system());
        }
    }

    /**
     * What a front handler (a Jetty handler placed before Javalin's, see
     * {@link #create(Options, Consumer, Function)}) shares with the Javalin routes, so requests it
     * serves itself are limited, metered and logged the same way.
     *
     * @param admission the in-flight limits; a front handler takes a request slot and reserves its
     *                  bytes per request, and passes a request to Javalin when it cannot at once
     * @param ticker    what the front handler reads a request's start and end from, for the
     *                  {@code nanos} it gives {@link #served}
     */
    public record Edge(Admission admission, HttpMetrics metrics, ObjectMapper mapper, Ticker ticker) {
        /** Records a request served by the front handler: metrics and, with ACCESS_LOG, a log line. */
        public void served(String method, String route, int status, long nanos) {
            metrics.record(method, route, status, nanos);
            logAccess(method, route, status, nanos / 1e6);
        }
    }

    private static final boolean ACCESS_LOG_ON = "true".equalsIgnoreCase(System.getenv("ACCESS_LOG"));

    /** The access log line, with ACCESS_LOG on: route template, never the raw path or a key. */
    private static void logAccess(String method, String route, int status, double millis) {
        if (ACCESS_LOG_ON) {
            ACCESS.info("{} {} {} {}ms", method, route, status, String.format(java.util.Locale.ROOT, "%.2f", millis));
        }
    }

    /** Starts {@code app} on {@code port} and bounds idle connections on every connector. */
    public static void start(Javalin app, String host, int port, long idleTimeoutMillis) {
        app.start(host, port);
        for (var connector : app.jettyServer().server().getConnectors()) {
            if (connector instanceof org.eclipse.jetty.server.AbstractConnector c) {
                c.setIdleTimeout(idleTimeoutMillis);
            }
        }
    }

    /**
     * Creates (does not start) a server.
     *
     * @param routes registers the module's routes
     */
    public static Javalin create(Options options, Consumer<JavalinConfig> routes) {
        return create(options, routes, null);
    }

    /**
     * Creates (does not start) a server whose requests first meet {@code front}: a Jetty handler
     * that serves some requests itself and passes the rest to Javalin (its child handler).
     *
     * @param front builds the front handler from what it shares with the routes; null for none
     */
    public static Javalin create(Options options, Consumer<JavalinConfig> routes,
                                 Function<Edge, org.eclipse.jetty.server.Handler.Wrapper> front) {
        HttpMetrics metrics = new HttpMetrics(options.registry());
        AdmissionMetrics.bind(options.registry(), options.admission());
        Edge edge = new Edge(options.admission(), metrics, options.mapper(), options.ticker());
        return Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.concurrency.useVirtualThreads = true;
            // Jetty's selectors on platform threads, request handling on virtual threads. Left to
            // itself Javalin runs the selectors on virtual threads too, so every wait for a socket
            // went through the JDK's poller thread: most of a master's context switches
            config.jetty.threadPool = threadPool(front != null);
            config.http.compressionStrategy = io.javalin.compression.CompressionStrategy.NONE;
            // Javalin copies each response through a buffer of this size; Jetty's 32 KiB default
            // made every small JSON answer cost 32 KiB of garbage (see BENCHMARKS.md)
            config.http.responseBufferSize = 8 * 1024;
            config.http.maxRequestSize = options.maxRequestBytes();
            config.http.prefer405over404 = true;
            config.router.ignoreTrailingSlashes = false;
            config.jsonMapper(new JavalinJackson(options.mapper(), false));
            config.jetty.modifyHttpConfiguration(http -> {
                // keys may contain '/', '%', '?', '#': clients percent-encode them, and the
                // handlers decode the raw path themselves, so Jetty must let such paths through
                http.setUriCompliance(UriCompliance.UNSAFE);
                http.setSendServerVersion(false);
                http.setRequestHeaderSize(options.maxHeaderBytes());
            });
            config.jetty.modifyServletContextHandler(handler ->
                    handler.getServletHandler().setDecodeAmbiguousURIs(true));
            config.jetty.modifyServer(server -> {
                server.setErrorHandler(new JsonErrorHandler(options.mapper()));
                if (front != null) {
                    server.setHandler(front.apply(edge)); // Javalin makes its own handler this one's child
                    // a dynamic server (Jetty's default) reports itself BLOCKING whatever its handlers
                    // say, and Jetty then hands every request to another thread; a fixed tree lets a
                    // non-blocking front handler run on the selector that read the request
                    server.setDynamic(false);
                }
            });
            config.router.handlerWrapper(endpoint -> AdmittedRoutes.limited(endpoint, options));
            config.requestLogger.http((ctx, ms) -> {
                metrics.record(ctx, ms);
                if (ACCESS_LOG_ON) {
                    var endpoint = ctx.endpoints().matchedHttpEndpoint();
                    logAccess(ctx.method().name(), endpoint == null ? "-" : endpoint.path, ctx.statusCode(), ms);
                }
            });
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(options.registry().scrape()));
            ErrorMapping.install(config, options.mapper());
            routes.accept(config);
        });
    }

    /**
     * Jetty's pool: platform threads for selectors and the acceptor, virtual threads for request
     * handling that may block.
     *
     * @param resumeInline run Jetty's "read the next request" job on the thread that finished the
     *                     previous response instead of handing it to a pool thread. Only for a
     *                     server whose handler tree is non-blocking (a front handler that passes
     *                     blocking work on): there that job never blocks, and the hand-off cost two
     *                     thread wake-ups per request answered asynchronously (a pool thread, then
     *                     the selector to re-arm the read) — measured as the bulk of a master's CPU
     *                     behind nginx (BENCHMARKS.md).
     */
    private static org.eclipse.jetty.util.thread.QueuedThreadPool threadPool(boolean resumeInline) {
        var pool = new org.eclipse.jetty.util.thread.QueuedThreadPool(64, 4) {
            @Override
            public void execute(Runnable job) {
                if (resumeInline && job instanceof org.eclipse.jetty.io.Connection) {
                    job.run(); // HttpConnection.run(): fill, parse, handle (non-blocking here)
                } else {
                    super.execute(job);
                }
            }
        };
        pool.setName("jetty");
        pool.setVirtualThreadsExecutor(org.eclipse.jetty.util.VirtualThreads.getNamedVirtualThreadsExecutor("jetty-vt"));
        return pool;
    }
}
