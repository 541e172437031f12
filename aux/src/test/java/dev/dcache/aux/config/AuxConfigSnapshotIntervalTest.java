package dev.dcache.aux.config;

import dev.dcache.common.config.ConfigException;
import dev.dcache.common.config.Env;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code AUX_SNAPSHOT_INTERVAL_MS}. */
class AuxConfigSnapshotIntervalTest {
    @Test
    void from_unset_defaultsToTenSeconds() {
        assertThat(AuxConfig.from(new Env(Map.of())).snapshotInterval()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void from_zero_turnsPeriodicSnapshotsOff() {
        assertThat(AuxConfig.from(new Env(Map.of("AUX_SNAPSHOT_INTERVAL_MS", "0"))).snapshotInterval()).isZero();
    }

    @Test
    void from_negative_isRejectedNamingTheVariable() {
        assertThatThrownBy(() -> AuxConfig.from(new Env(Map.of("AUX_SNAPSHOT_INTERVAL_MS", "-1"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("AUX_SNAPSHOT_INTERVAL_MS");
    }
}
