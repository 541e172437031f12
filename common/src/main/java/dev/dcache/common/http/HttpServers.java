package dev.dcache.common.http;

import dev.dcache.common.error.ApiException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.admission.Admission;
import dev.dcache.common.admission.ByteBudget;
import dev.dcache.common.metrics.AdmissionMetrics;
import dev.dcache.common.metrics.HttpMetrics;
import dev.dcache.common.time.Ticker;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.http.UriCompliance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Builds the Javalin server both node kinds run: virtual threads, the strict JSON mapper, one
 * error mapper that answers every failure as {@code {"error": "..."}}, request metrics tagged by
 * route template, {@code GET /metrics}, and server-side limits (body size, idle timeout, and
 * {@link Admission}: requests and bytes of bodies in flight).
 *
 * <p>Admission happens before a body is read: a request reserves its {@code Content-Length}
 * (the whole body limit when it has none) from the node's {@link ByteBudget}, waiting briefly
 * when the budget is full, and is refused with 503 (or 413, larger than the budget) when that
 * does not come. Whatever body a request still has unread when it is answered (refused before
 * reading, or a parse that stopped early) is read and discarded first, so that a client that
 * writes its whole body before reading sees the answer instead of a reset connection.
 */
public final class HttpServers {
    private static final Logger log = LoggerFactory.getLogger(HttpServers.class);
    private static final String ERROR_WRITTEN = "dcache.errorWritten";
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

    /** Where a Javalin route finds its request's reservation of the byte budget ({@link #lease}). */
    private static final String LEASE = "dcache.lease";
    /** The request attribute holding the server's body limit, for {@link #body}. */
    private static final String BODY_LIMIT = "dcache.bodyLimit";


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

    private static io.javalin.http.Handler limited(io.javalin.router.Endpoint endpoint, Options options) {
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
    private static ByteBudget.Lease admitBody(Context ctx, Options options) {
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
            config.router.handlerWrapper(endpoint -> limited(endpoint, options));
            config.requestLogger.http((ctx, ms) -> {
                metrics.record(ctx, ms);
                if (ACCESS_LOG_ON) {
                    var endpoint = ctx.endpoints().matchedHttpEndpoint();
                    logAccess(ctx.method().name(), endpoint == null ? "-" : endpoint.path, ctx.statusCode(), ms);
                }
            });
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(options.registry().scrape()));
            installErrorMapping(config, options.mapper());
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

    private static void installErrorMapping(JavalinConfig config, ObjectMapper mapper) {
        config.routes.exception(HttpResponseException.class, (e, ctx) ->
                error(ctx, mapper, ErrorAnswers.Answer.of(e.getStatus(), javalinMessage(e, ctx))));
        config.routes.exception(Exception.class, (e, ctx) -> {
            ErrorAnswers.Answer answer = ErrorAnswers.of(e);
            if (!answer.expected()) {
                var endpoint = ctx.endpoints().matchedHttpEndpoint();
                log.error("unhandled error on {} {}", ctx.method().name(), endpoint == null ? "?" : endpoint.path, e);
            }
            error(ctx, mapper, answer);
        });
        // statuses set without an exception (e.g. by Jetty or Javalin itself) still get a JSON body
        for (int status : new int[]{400, 404, 405, 413, 414, 431, 500, 503}) {
            config.routes.error(status, ctx -> {
                if (ctx.attribute(ERROR_WRITTEN) == null) {
                    error(ctx, mapper, ErrorAnswers.Answer.of(status, HttpStatus.forStatus(status).getMessage()));
                }
            });
        }
    }

    /** The message of an error Javalin raised itself: no route, a method not allowed, a body too large. */
    private static String javalinMessage(HttpResponseException e, Context ctx) {
        return switch (e.getStatus()) {
            case 404 -> "no such route: " + ctx.method().name() + " " + safePath(ctx);
            case 405 -> "method " + ctx.method().name() + " not allowed on " + safePath(ctx);
            case 413 -> "request body too large";
            default -> e.getMessage() == null || e.getMessage().isBlank()
                    ? HttpStatus.forStatus(e.getStatus()).getMessage() : e.getMessage();
        };
    }

    /** Writes an error answer ({@link ErrorAnswers}) on a Javalin route. */
    private static void error(Context ctx, ObjectMapper mapper, ErrorAnswers.Answer answer) {
        ctx.attribute(ERROR_WRITTEN, Boolean.TRUE);
        answer.headers().forEach(ctx::header);
        ctx.status(answer.status()).contentType("application/json")
                .result(ErrorAnswers.body(mapper, answer.status(), answer.message()));
    }

    /** The path, clipped and stripped of control characters, fit to echo back in an error. */
    private static String safePath(Context ctx) {
        String p = ctx.path();
        StringBuilder sb = new StringBuilder(Math.min(p.length(), 120));
        for (int i = 0; i < p.length() && sb.length() < 120; i++) {
            char c = p.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return sb.toString();
    }
}
