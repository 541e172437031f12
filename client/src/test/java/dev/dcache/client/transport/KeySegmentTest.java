package dev.dcache.client.transport;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeySegmentTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "plain|plain",
            "A-z_0.9~|A-z_0.9~",
            "a/b|a%2Fb",
            "\"a b\"|a%20b",
            "a+b|a%2Bb",
            "?#%&=;|%3F%23%25%26%3D%3B",
            "ключ|%D0%BA%D0%BB%D1%8E%D1%87",
            "😀|%F0%9F%98%80",
            ".|%2E",
            "..|%2E%2E",
            "...|%2E%2E%2E",
            "a.|a.",
    })
    void encode_escapesAllButUnreservedCharacters(String key, String segment) {
        assertThat(KeySegment.encode(key)).isEqualTo(segment);
        assertThat(URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8)).isEqualTo(key);
    }

    @Test
    void encode_emptyOrLoneSurrogate_isRefused() {
        assertThatThrownBy(() -> KeySegment.encode("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeySegment.encode("a\ud800")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("surrogate");
    }
}
