package dev.dcache.common.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps what goes wrong on a Javalin route to its error answer: a typed exception, an error Javalin
 * raised itself (no route, method not allowed, body too large), or a status set without an
 * exception. The answer itself comes from {@link ErrorAnswers}, the one error writer.
 */
final class ErrorMapping {
    private static final Logger log = LoggerFactory.getLogger(HttpServers.class); // where these were always logged
    private static final String ERROR_WRITTEN = "dcache.errorWritten";

    private ErrorMapping() {
    }

    /** Installs on {@code config} the exception mappers and the JSON bodies of bare error statuses. */
    static void install(JavalinConfig config, ObjectMapper mapper) {
        config.routes.exception(HttpResponseException.class, (e, ctx) ->
                error(ctx, mapper, new ErrorAnswers.Answer(e.getStatus(), javalinMessage(e, ctx), allow(e), true)));
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

    /**
     * The {@code Allow} header of a 405 Javalin raised: the methods it lists in the exception's
     * details (under "availableMethods", or "Available methods" for a client that accepts HTML).
     */
    private static java.util.Map<String, String> allow(HttpResponseException e) {
        if (e.getStatus() != 405) {
            return java.util.Map.of();
        }
        String methods = e.getDetails().getOrDefault("availableMethods", e.getDetails().get("Available methods"));
        return methods == null || methods.isBlank() ? java.util.Map.of() : java.util.Map.of("Allow", methods);
    }

    /** The message of an error Javalin raised itself: no route, a method not allowed, a body too large. */
    private static String javalinMessage(HttpResponseException e, Context ctx) {
        return switch (e.getStatus()) {
            case 404 -> "no such route: " + ctx.method().name() + " " + ErrorAnswers.shownPath(ctx.path());
            case 405 -> "method " + ctx.method().name() + " not allowed on " + ErrorAnswers.shownPath(ctx.path());
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
}
