package dev.dcache.master.api;

import dev.dcache.common.error.ApiException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyCodecTest {
    private final KeyCodec codec = new KeyCodec(250);

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/data/plain|plain",
            "/data/a%2Fb|a/b",
            "/data/a/b|a/b",
            "/data/100%25|100%",
            "/data/a%3Fb|a?b",
            "/data/a%23b|a#b",
            "/data/with%20space|with space",
            "/data/%D0%BA%D0%BB%D1%8E%D1%87|ключ",
            "/data/emoji%F0%9F%98%80|emoji😀",
            "/data/%2E%2E|..",
            "/data/k?ignored=query|k",
            "/data/a+b|a+b"})
    void fromRawPath_encodedKey_decodesExactly(String raw, String key) {
        assertThat(codec.fromRawPath(raw, "/data/")).isEqualTo(key);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/data/%", "/data/%2", "/data/%zz", "/data/%G1", "/data/a%C3%28", "/data/%FF",
            "/data/%00", "/data/%1F", "/data/%7F", "/data/", "/data/%ED%A0%80"})
    void fromRawPath_malformedOrInvalidKey_is400(String raw) {
        assertThatThrownBy(() -> codec.fromRawPath(raw, "/data/"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void validate_keyOfExactlyTheLimit_isAccepted_andOneByteMoreIsNot() {
        assertThat(codec.validate("k".repeat(250))).hasSize(250);
        assertThatThrownBy(() -> codec.validate("k".repeat(251)))
                .isInstanceOf(ApiException.class).hasMessageContaining("251 bytes").hasMessageContaining("250");
    }

    @Test
    void validate_limitCountsUtf8Bytes_notChars() {
        assertThat(codec.validate("ж".repeat(125))).hasSize(125); // 250 bytes
        assertThatThrownBy(() -> codec.validate("ж".repeat(126))).isInstanceOf(ApiException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "tab\there", "new\nline", "nul\u0000", "del\u007f", "lone\ud800surrogate", "\udc00"})
    void validate_emptyControlOrLoneSurrogate_is400(String key) {
        assertThatThrownBy(() -> codec.validate(key))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void validate_null_is400() {
        assertThatThrownBy(() -> codec.validate(null)).isInstanceOf(ApiException.class);
    }
}
