package dev.dcache.master.api;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class Utf8Test {
    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    @Test
    void isWellFormed_validText_isTrue() {
        assertThat(Utf8.isWellFormed("plain ascii".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(Utf8.isWellFormed("ключ 日本 😀 é".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(Utf8.isWellFormed(new byte[0])).isTrue();
        assertThat(Utf8.isWellFormed(bytes(0xF4, 0x8F, 0xBF, 0xBF))).as("U+10FFFF").isTrue();
    }

    @Test
    void isWellFormed_malformed_isFalse() {
        assertThat(Utf8.isWellFormed(bytes(0xC0, 0xAF))).as("overlong /").isFalse();
        assertThat(Utf8.isWellFormed(bytes(0xE0, 0x80, 0xAF))).as("overlong 3-byte").isFalse();
        assertThat(Utf8.isWellFormed(bytes(0xF0, 0x80, 0x80, 0xAF))).as("overlong 4-byte").isFalse();
        assertThat(Utf8.isWellFormed(bytes(0xED, 0xA0, 0x80))).as("surrogate").isFalse();
        assertThat(Utf8.isWellFormed(bytes(0xF4, 0x90, 0x80, 0x80))).as("above U+10FFFF").isFalse();
        assertThat(Utf8.isWellFormed(bytes(0xC3, 0x28))).as("bad continuation").isFalse();
        assertThat(Utf8.isWellFormed(bytes(0xE2, 0x82))).as("truncated").isFalse();
        assertThat(Utf8.isWellFormed(bytes(0x80))).as("lone continuation").isFalse();
        assertThat(Utf8.isWellFormed(bytes(0xFF))).as("invalid byte").isFalse();
    }

    @Test
    void encodedLength_matchesTheEncoder_andFlagsLoneSurrogates() {
        for (String s : new String[]{"", "a", "é", "ж", "日本", "😀", "mixed é 😀 z"}) {
            assertThat(Utf8.encodedLength(s)).as(s).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
        }
        assertThat(Utf8.encodedLength("a\ud800")).isEqualTo(-1);
        assertThat(Utf8.encodedLength("\udc00a")).isEqualTo(-1);
    }
}
