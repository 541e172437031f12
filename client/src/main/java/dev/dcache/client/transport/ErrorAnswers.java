package dev.dcache.client.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.client.error.BadRequestException;
import dev.dcache.client.error.DcacheException;
import dev.dcache.client.error.NotAcceptableException;
import dev.dcache.client.error.OutcomeUnknownException;
import dev.dcache.client.error.PayloadTooLargeException;
import dev.dcache.client.error.ServerException;
import dev.dcache.client.error.UnavailableException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The one place an error answer (4xx, 5xx) becomes a typed exception carrying the server's message. */
final class ErrorAnswers {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int MAX_SHOWN_CHARS = 200;

    private ErrorAnswers() {
    }

    /** The exception for error answer {@code a} to {@code call}. */
    static DcacheException toException(Answer a, Call call) {
        String message = call.method() + " " + call.pathAndQuery() + " on " + a.host() + ": " + a.status() + " "
                + message(a.body());
        return switch (a.status()) {
            case 406 -> new NotAcceptableException(message);
            case 413 -> new PayloadTooLargeException(message);
            case 503 -> new UnavailableException(message, a.retryAfter());
            case 504 -> call.write() ? new OutcomeUnknownException(504, message, null) : new ServerException(504, message);
            default -> a.status() < 500 ? new BadRequestException(a.status(), message) : new ServerException(a.status(), message);
        };
    }

    /** The server's {@code {"error"}} text; the start of the body when it is not that shape (a proxy's page). */
    private static String message(byte[] body) {
        try {
            JsonNode error = MAPPER.readTree(body).path("error");
            if (error.isTextual()) {
                return error.asText();
            }
        } catch (IOException | RuntimeException notJson) {
            // fall through: show the body as text
        }
        String text = new String(body, StandardCharsets.UTF_8).strip();
        return text.length() <= MAX_SHOWN_CHARS ? text : text.substring(0, MAX_SHOWN_CHARS) + "...";
    }
}
