package dev.dcache.aux.cache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class WeigherTest {
    /** A String object (24) plus its byte[] header (16). */
    private static final long STRING_HEADERS = 40;

    @Test
    void retained_emptyString_isHeadersOnly() {
        assertThat(Weigher.retained("")).isEqualTo(STRING_HEADERS);
    }

    @ParameterizedTest(name = "{0} Latin-1 chars -> {1} payload bytes")
    @CsvSource({"1, 8", "7, 8", "8, 8", "9, 16", "16, 16", "17, 24", "100, 104"})
    void retained_latin1_takesOneBytePerCharRoundedUpTo8(int length, long payload) {
        assertThat(Weigher.retained("a".repeat(length))).isEqualTo(STRING_HEADERS + payload);
    }

    @Test
    void retained_latin1AccentsUpTo0xFF_stayOneBytePerChar() {
        assertThat(Weigher.retained("é".repeat(9))).isEqualTo(STRING_HEADERS + 16);
        assertThat(Weigher.retained("\u00ff".repeat(8))).isEqualTo(STRING_HEADERS + 8);
    }

    @ParameterizedTest(name = "{0} non-Latin-1 chars -> {1} payload bytes")
    @CsvSource({"1, 8", "4, 8", "5, 16", "8, 16", "9, 24", "50, 104"})
    void retained_nonLatin1_takesTwoBytesPerCharRoundedUpTo8(int length, long payload) {
        assertThat(Weigher.retained("€".repeat(length))).isEqualTo(STRING_HEADERS + payload);
        assertThat(Weigher.retained("\u0100".repeat(length))).isEqualTo(STRING_HEADERS + payload);
    }

    @Test
    void retained_oneNonLatin1Char_widensWholeString() {
        String mostlyAscii = "a".repeat(8) + "€"; // 9 chars stored as UTF-16: 18 -> 24

        assertThat(Weigher.retained(mostlyAscii)).isEqualTo(STRING_HEADERS + 24);
        assertThat(Weigher.retained("€" + "a".repeat(8))).isEqualTo(STRING_HEADERS + 24);
    }

    @Test
    void retained_surrogatePair_countsAsTwoChars() {
        assertThat(Weigher.retained("\uD83D\uDE00")).isEqualTo(STRING_HEADERS + 8); // 4 bytes -> 8
        assertThat(Weigher.retained("\uD83D\uDE00".repeat(3))).isEqualTo(STRING_HEADERS + 16); // 12 -> 16
    }

    @Test
    void weigh_value_addsOverheadKeyAndValue() {
        long key = Weigher.retained("user:42");
        long value = Weigher.retained("x".repeat(100));

        assertThat(key).isEqualTo(48);
        assertThat(value).isEqualTo(144);
        assertThat(Weigher.weigh("user:42", "x".repeat(100))).isEqualTo(Weigher.ENTRY_OVERHEAD + key + value);
    }

    @Test
    void weigh_tombstone_countsOverheadAndKeyOnly() {
        assertThat(Weigher.weigh("user:42", null)).isEqualTo(Weigher.ENTRY_OVERHEAD + 48);
    }

    @Test
    void weigh_emptyValue_isHeavierThanTombstone() {
        assertThat(Weigher.weigh("k", "")).isEqualTo(Weigher.weigh("k", null) + STRING_HEADERS);
    }
}
