package dev.dcache.common.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.error.ApiException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ErrorAnswersTest {
    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void apiException_keepsItsStatusMessageAndHeaders() {
        var e = new ApiException(503, "server busy", Map.of("Retry-After", "1"));
        ErrorAnswers.Answer a = ErrorAnswers.of(e);
        assertThat(a.status()).isEqualTo(503);
        assertThat(a.message()).isEqualTo("server busy");
        assertThat(a.headers()).containsEntry("Retry-After", "1");
        assertThat(a.expected()).isTrue();
    }

    @Test
    void malformedJson_is400_withTheParsersFirstLine() {
        assertThatThrownBy(() -> mapper.readTree("{\"key\":")).satisfies(e -> {
            ErrorAnswers.Answer a = ErrorAnswers.of(e);
            assertThat(a.status()).isEqualTo(400);
            assertThat(a.message()).startsWith("malformed JSON: ").doesNotContain("\n");
            assertThat(a.expected()).isTrue();
        });
    }

    @Test
    void anythingElse_is500_internalError_andMarkedUnexpected() {
        ErrorAnswers.Answer a = ErrorAnswers.of(new IllegalStateException("secret detail"));
        assertThat(a.status()).isEqualTo(500);
        assertThat(a.message()).isEqualTo("internal error");
        assertThat(a.expected()).isFalse();
    }

    @Test
    void body_isTheErrorObject_andABlankMessageBecomesTheReasonPhrase() {
        assertThat(new String(ErrorAnswers.body(mapper, 404, "key \"x\" not found"), StandardCharsets.UTF_8))
                .isEqualTo("{\"error\":\"key \\\"x\\\" not found\"}");
        assertThat(new String(ErrorAnswers.body(mapper, 404, " "), StandardCharsets.UTF_8))
                .isEqualTo("{\"error\":\"Not Found\"}");
    }

    @Test
    void shownPath_isClippedTo120_withControlCharactersReplaced() {
        assertThat(ErrorAnswers.shownPath("/data/a\nb\u007f")).isEqualTo("/data/a?b?");
        assertThat(ErrorAnswers.shownPath("/data/" + "k".repeat(300))).hasSize(120);
    }
}
