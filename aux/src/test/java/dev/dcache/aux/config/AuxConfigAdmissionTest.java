package dev.dcache.aux.config;

import dev.dcache.common.config.ConfigException;
import dev.dcache.common.config.Env;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code AUX_MAX_INFLIGHT_BYTES} and {@code AUX_ADMISSION_WAIT_MS}. */
class AuxConfigAdmissionTest {
    private static final long MIB = 1L << 20;

    @Test
    void maxInflightBytes_unset_isWhatTheHeapLeavesBesideTheCache() {
        // bin/cluster's default node: a 256 MiB heap for a 128 MiB cache
        assertThat(AuxConfig.from(new Env(Map.of("AUX_MAX_BYTES", Long.toString(128 * MIB))), 256 * MIB)
                .maxInflightBytes()).isEqualTo(20 * MIB);
        // a heap the cache fills alone still admits 1 MiB at once
        assertThat(AuxConfig.from(new Env(Map.of("AUX_MAX_BYTES", Long.toString(256 * MIB))), 256 * MIB)
                .maxInflightBytes()).isEqualTo(MIB);
    }

    @Test
    void admission_setExplicitly_overridesTheDefaults() {
        AuxConfig c = AuxConfig.from(new Env(Map.of("AUX_MAX_INFLIGHT_BYTES", Long.toString(64 * MIB),
                "AUX_ADMISSION_WAIT_MS", "250")), 256 * MIB);

        assertThat(c.maxInflightBytes()).isEqualTo(64 * MIB);
        assertThat(c.admissionWait()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void admission_badValue_failsNamingTheVariable() {
        assertThatThrownBy(() -> AuxConfig.from(new Env(Map.of("AUX_ADMISSION_WAIT_MS", "-1"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("AUX_ADMISSION_WAIT_MS");
    }
}
