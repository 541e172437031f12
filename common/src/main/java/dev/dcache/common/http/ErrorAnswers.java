package dev.dcache.common.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.wire.ErrorBody;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The one place that turns a failure into the error answer every route gives:
 * {@code {"error": "..."}} with a status and, for some, headers ({@code Retry-After}). The Javalin
 * routes ({@link ErrorMapping}), the master's data front handler and Jetty's own
 * error pages ({@link JsonErrorHandler}) all answer through it, so a failure reads the same
 * whichever of them meets it.
 */
public final class ErrorAnswers {
    private static final byte[] FALLBACK = "{\"error\":\"internal error\"}".getBytes(StandardCharsets.US_ASCII);

    private ErrorAnswers() {
    }

    /**
     * An error answer before it is written.
     *
     * @param expected false for a failure that is a bug (500): the caller logs it
     */
    public record Answer(int status, String message, Map<String, String> headers, boolean expected) {
        /** An answer with no extra headers. */
        public static Answer of(int status, String message) {
            return new Answer(status, message, Map.of(), true);
        }
    }

    /**
     * The answer to {@code failure}: an {@link ApiException}'s own status, message and headers;
     * 400 "malformed JSON: ..." for JSON that does not parse; 500 "internal error" for anything else.
     */
    public static Answer of(Throwable failure) {
        if (failure instanceof ApiException e) {
            return new Answer(e.status(), e.getMessage(), e.headers(), true);
        }
        if (failure instanceof JacksonException e) {
            return Answer.of(400, "malformed JSON: " + firstLine(e.getOriginalMessage()));
        }
        return new Answer(500, "internal error", Map.of(), false);
    }

    /** The JSON body of an error with {@code message}; the status's reason phrase when it is blank. */
    public static byte[] body(ObjectMapper mapper, int status, String message) {
        String text = message == null || message.isBlank() ? HttpStatus.getMessage(status) : message;
        try {
            return mapper.writeValueAsBytes(new ErrorBody(text));
        } catch (JsonProcessingException e) {
            return FALLBACK;
        }
    }

    /** Writes {@code answer} as the whole response on Jetty's core API, without blocking. */
    public static void write(ObjectMapper mapper, Answer answer, Response response, Callback callback) {
        answer.headers().forEach((name, value) -> response.getHeaders().put(name, value));
        writeJson(response, answer.status(), body(mapper, answer.status(), answer.message()), callback);
    }

    /** Writes {@code json} with {@code status} as the whole response on Jetty's core API, without blocking. */
    public static void writeJson(Response response, int status, byte[] json, Callback callback) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, json.length);
        response.write(true, ByteBuffer.wrap(json), callback);
    }

    /** {@code path} fit to echo back in an error: at most 120 characters, control characters as '?'. */
    public static String shownPath(String path) {
        StringBuilder sb = new StringBuilder(Math.min(path.length(), 120));
        for (int i = 0; i < path.length() && sb.length() < 120; i++) {
            char c = path.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return sb.toString();
    }

    /** The first line of a parser's message, at most 200 characters. */
    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable body";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) : line;
    }
}
