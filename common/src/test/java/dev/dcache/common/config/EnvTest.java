package dev.dcache.common.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class EnvTest {
    private static Env env(String... pairs) {
        Map<String, String> vars = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            vars.put(pairs[i], pairs[i + 1]);
        }
        return new Env(vars);
    }

    @Test
    void string_unsetOrBlank_returnsFallback() {
        Env env = env("BLANK", "   ", "EMPTY", "");

        assertThat(env.string("UNSET", "dflt")).isEqualTo("dflt");
        assertThat(env.string("BLANK", "dflt")).isEqualTo("dflt");
        assertThat(env.string("EMPTY", null)).isNull();
    }

    @Test
    void string_set_returnsTrimmedValue() {
        assertThat(env("NAME", "  aux-1 \n").string("NAME", "dflt")).isEqualTo("aux-1");
    }

    @Test
    void new_sourceMapChangedLater_keepsSnapshot() {
        Map<String, String> vars = new HashMap<>(Map.of("A", "1"));
        Env env = new Env(vars);

        vars.put("A", "2");

        assertThat(env.string("A", null)).isEqualTo("1");
    }

    @Test
    void required_set_returnsValue() {
        assertThat(env("TOKEN", "s3cret").required("TOKEN")).isEqualTo("s3cret");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  "})
    void required_blank_failsNamingVariable(String blank) {
        assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> env("TOKEN", blank).required("TOKEN"))
                .withMessageContaining("TOKEN");
    }

    @Test
    void required_unset_failsNamingVariable() {
        assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> env().required("CLUSTER_TOKEN"))
                .withMessage("CLUSTER_TOKEN is required but not set");
    }

    @Test
    void longIn_unset_returnsFallback() {
        assertThat(env().longIn("AUX_MAX_BYTES", 1234, 1, 10)).isEqualTo(1234);
    }

    @Test
    void longIn_valueWithinRange_returnsIt() {
        Env env = env("LOW", "1", "HIGH", "10", "MID", " 5 ", "NEG", "-3", "BIG", "9000000000");

        assertThat(env.longIn("LOW", 0, 1, 10)).isEqualTo(1);
        assertThat(env.longIn("HIGH", 0, 1, 10)).isEqualTo(10);
        assertThat(env.longIn("MID", 0, 1, 10)).isEqualTo(5);
        assertThat(env.longIn("NEG", 0, -5, 0)).isEqualTo(-3);
        assertThat(env.longIn("BIG", 0, 1, Long.MAX_VALUE)).isEqualTo(9_000_000_000L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "12abc", "1.5", "0x10", "1_000", "99999999999999999999"})
    void longIn_notAnInteger_failsNamingVariableAndValue(String bad) {
        assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> env("AUX_MAX_BYTES", bad).longIn("AUX_MAX_BYTES", 1, 1, 100))
                .withMessage("AUX_MAX_BYTES must be an integer in [1, 100], was '" + bad + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "101", "-1"})
    void longIn_outOfRange_failsNamingVariableRangeAndValue(String bad) {
        assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> env("AUX_SEGMENTS", bad).longIn("AUX_SEGMENTS", 1, 1, 100))
                .withMessage("AUX_SEGMENTS must be in [1, 100], was " + bad);
    }

    @Test
    void intIn_valueWithinRange_returnsIt() {
        assertThat(env("MASTER_PORT", "8080").intIn("MASTER_PORT", 8000, 0, 65535)).isEqualTo(8080);
        assertThat(env().intIn("MASTER_PORT", 8000, 0, 65535)).isEqualTo(8000);
    }

    @ParameterizedTest
    @ValueSource(strings = {"65536", "4294967296", "-1"})
    void intIn_outOfRangeIncludingBeyondInt_failsNamingVariableAndValue(String bad) {
        assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> env("MASTER_PORT", bad).intIn("MASTER_PORT", 8000, 0, 65535))
                .withMessageContaining("MASTER_PORT")
                .withMessageContaining(bad)
                .withMessageContaining("[0, 65535]");
    }

    @Test
    void intIn_notAnInteger_failsNamingVariableAndValue() {
        assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> env("RING_VNODES", "many").intIn("RING_VNODES", 256, 1, 4096))
                .withMessageContaining("RING_VNODES")
                .withMessageContaining("'many'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"true", "TRUE", "1", "yes", "Yes", "on", " on "})
    void bool_truthyWords_areTrue(String word) {
        assertThat(env("FLAG", word).bool("FLAG", false)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"false", "False", "0", "no", "NO", "off"})
    void bool_falsyWords_areFalse(String word) {
        assertThat(env("FLAG", word).bool("FLAG", true)).isFalse();
    }

    @Test
    void bool_unset_returnsFallback() {
        assertThat(env().bool("FLAG", true)).isTrue();
        assertThat(env("FLAG", " ").bool("FLAG", false)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"maybe", "2", "y", "enabled"})
    void bool_otherWord_failsNamingVariableAndValue(String bad) {
        assertThatExceptionOfType(ConfigException.class)
                .isThrownBy(() -> env("LOG_JSON", bad).bool("LOG_JSON", false))
                .withMessage("LOG_JSON must be true or false, was '" + bad + "'");
    }
}
