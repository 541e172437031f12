package dev.dcache.master.api;

import org.junit.jupiter.api.Test;

import static dev.dcache.master.api.ReadNegotiation.Form.ENVELOPE;
import static dev.dcache.master.api.ReadNegotiation.Form.NONE;
import static dev.dcache.master.api.ReadNegotiation.Form.RAW;
import static org.assertj.core.api.Assertions.assertThat;

class ReadNegotiationTest {
    @Test
    void noAcceptOrAnything_readsTheEnvelope() {
        assertThat(ReadNegotiation.form(null, "image/png")).isEqualTo(ENVELOPE);
        assertThat(ReadNegotiation.form("", "image/png")).isEqualTo(ENVELOPE);
        assertThat(ReadNegotiation.form("*/*", "image/png")).isEqualTo(ENVELOPE);
        assertThat(ReadNegotiation.form("application/json", "image/png")).isEqualTo(ENVELOPE);
    }

    @Test
    void theValuesTypeNamed_readsRaw() {
        assertThat(ReadNegotiation.form("image/png", "image/png")).isEqualTo(RAW);
        assertThat(ReadNegotiation.form("image/*", "image/png")).isEqualTo(RAW);
        assertThat(ReadNegotiation.form("IMAGE/PNG", "image/png")).isEqualTo(RAW);
        assertThat(ReadNegotiation.form("text/plain", "text/plain; charset=utf-8")).isEqualTo(RAW);
        // more specific than the */* that admits JSON, at the same quality
        assertThat(ReadNegotiation.form("application/octet-stream, */*", "application/octet-stream")).isEqualTo(RAW);
        assertThat(ReadNegotiation.form("application/octet-stream, */*;q=0.1", "application/octet-stream")).isEqualTo(RAW);
    }

    @Test
    void qualityDecides_thenSpecificity() {
        assertThat(ReadNegotiation.form("image/png;q=0.5, application/json", "image/png")).isEqualTo(ENVELOPE);
        assertThat(ReadNegotiation.form("image/png, application/json;q=0.9", "image/png")).isEqualTo(RAW);
        assertThat(ReadNegotiation.form("image/png;q=0, */*", "image/png")).isEqualTo(ENVELOPE);
        // a JSON value's own type is application/json: the envelope wins the tie
        assertThat(ReadNegotiation.form("application/json", "application/json")).isEqualTo(ENVELOPE);
    }

    @Test
    void neitherAcceptable_isNone() {
        assertThat(ReadNegotiation.form("text/html", "image/png")).isEqualTo(NONE);
        assertThat(ReadNegotiation.form("*/*;q=0", "image/png")).isEqualTo(NONE);
        assertThat(ReadNegotiation.form("image/png;q=nonsense", "image/png")).isEqualTo(NONE);
    }

    @Test
    void ifNoneMatch_matchesTheEtag_weakOrStrong_orStar() {
        String etag = ReadNegotiation.etag(42);
        assertThat(etag).isEqualTo("\"42\"");
        assertThat(ReadNegotiation.notModified("\"42\"", etag)).isTrue();
        assertThat(ReadNegotiation.notModified("W/\"42\"", etag)).isTrue();
        assertThat(ReadNegotiation.notModified("\"1\", \"42\"", etag)).isTrue();
        assertThat(ReadNegotiation.notModified("*", etag)).isTrue();
        assertThat(ReadNegotiation.notModified("\"41\"", etag)).isFalse();
        assertThat(ReadNegotiation.notModified("42", etag)).isFalse();
        assertThat(ReadNegotiation.notModified(null, etag)).isFalse();
    }
}
