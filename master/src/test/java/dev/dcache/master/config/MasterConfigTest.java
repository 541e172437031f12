package dev.dcache.master.config;

import dev.dcache.common.config.ConfigException;
import dev.dcache.common.config.Env;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MasterConfigTest {
    private static MasterConfig config(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return MasterConfig.from(new Env(m));
    }

    @Test
    void from_minimal_appliesDefaults() {
        MasterConfig c = config("AUX_NODES", "aux-1@127.0.0.1:9001,127.0.0.1:9002");
        assertThat(c.port()).isEqualTo(8000);
        assertThat(c.replicationFactor()).isEqualTo(2);
        assertThat(c.maxValueBytes()).isEqualTo(1 << 20);
        assertThat(c.maxKeyBytes()).isEqualTo(250);
        assertThat(c.auxNodes()).extracting(n -> n.id()).containsExactly("aux-1", "127.0.0.1:9002");
        assertThat(c.binaryProtocol()).isTrue();
        assertThat(c.versionTag()).isEqualTo(8000 % 256);
    }

    @Test
    void from_noAuxSource_failsNamingTheVariables() {
        assertThatThrownBy(() -> config()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("AUX_NODES").hasMessageContaining("AUX_DNS");
    }

    @Test
    void from_badValues_failNamingTheVariableAndValue() {
        assertThatThrownBy(() -> config("AUX_NODES", "a:1", "REPLICATION_FACTOR", "zero"))
                .hasMessageContaining("REPLICATION_FACTOR").hasMessageContaining("zero");
        assertThatThrownBy(() -> config("AUX_NODES", "a:1", "MASTER_PORT", "70000"))
                .hasMessageContaining("MASTER_PORT").hasMessageContaining("70000");
        assertThatThrownBy(() -> config("AUX_NODES", "a:notaport"))
                .hasMessageContaining("AUX_NODES");
        assertThatThrownBy(() -> config("AUX_NODES", "a@h:1,a@h:2"))
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> config("AUX_NODES", "a:1", "AUX_TRANSPORT", "carrier-pigeon"))
                .hasMessageContaining("AUX_TRANSPORT");
        assertThatThrownBy(() -> config("AUX_DNS", "aux"))
                .hasMessageContaining("AUX_DNS");
        assertThatThrownBy(() -> config("AUX_NODES", "a:1", "MAX_VALUE_BYTES", "2000000", "MAX_BODY_BYTES", "2000000"))
                .hasMessageContaining("MAX_BODY_BYTES");
    }

    @Test
    void nearCache_defaults_offWithCoalescingOn() {
        MasterConfig c = config("AUX_NODES", "a:1");
        assertThat(c.nearCache().enabled()).isFalse();
        assertThat(c.nearCache().maxEntries()).isEqualTo(10_000);
        assertThat(c.nearCache().maxBytes()).isEqualTo(32L << 20);
        assertThat(c.nearCache().maxStaleness().toMillis()).isEqualTo(1000);
        assertThat(c.nearCache().hotThreshold()).isEqualTo(3);
        assertThat(c.nearCache().push()).isTrue();
        assertThat(c.requestCoalescing()).isTrue();
        assertThat(c.describe()).contains("nearCache=off").contains("coalescing=on");
    }

    @Test
    void nearCache_settings_areReadAndDescribed() {
        MasterConfig c = config("AUX_NODES", "a:1", "NEAR_CACHE_ENABLED", "true", "NEAR_CACHE_MAX_ENTRIES", "500",
                "NEAR_CACHE_MAX_BYTES", "1048576", "NEAR_CACHE_MAX_STALENESS_MS", "250", "NEAR_CACHE_HOT_THRESHOLD", "5",
                "NEAR_CACHE_PUSH", "false", "REQUEST_COALESCING", "false");
        assertThat(c.nearCache()).isEqualTo(new MasterConfig.NearCacheSettings(true, 500, 1 << 20,
                java.time.Duration.ofMillis(250), 5, false));
        assertThat(c.requestCoalescing()).isFalse();
        assertThat(c.describe()).contains("nearCache=on(entries=500").contains("staleness=250ms").contains("coalescing=off");
    }

    @Test
    void nearCache_badValues_failNamingTheVariable() {
        assertThatThrownBy(() -> config("AUX_NODES", "a:1", "NEAR_CACHE_ENABLED", "maybe"))
                .hasMessageContaining("NEAR_CACHE_ENABLED").hasMessageContaining("maybe");
        assertThatThrownBy(() -> config("AUX_NODES", "a:1", "NEAR_CACHE_MAX_ENTRIES", "0"))
                .hasMessageContaining("NEAR_CACHE_MAX_ENTRIES");
        assertThatThrownBy(() -> config("AUX_NODES", "a:1", "NEAR_CACHE_MAX_BYTES", "1k"))
                .hasMessageContaining("NEAR_CACHE_MAX_BYTES");
        assertThatThrownBy(() -> config("AUX_NODES", "a:1", "NEAR_CACHE_MAX_STALENESS_MS", "0"))
                .hasMessageContaining("NEAR_CACHE_MAX_STALENESS_MS");
        assertThatThrownBy(() -> config("AUX_NODES", "a:1", "NEAR_CACHE_HOT_THRESHOLD", "16"))
                .hasMessageContaining("NEAR_CACHE_HOT_THRESHOLD");
        assertThatThrownBy(() -> config("AUX_NODES", "a:1", "NEAR_CACHE_PUSH", "often"))
                .hasMessageContaining("NEAR_CACHE_PUSH");
        assertThatThrownBy(() -> config("AUX_NODES", "a:1", "REQUEST_COALESCING", "sometimes"))
                .hasMessageContaining("REQUEST_COALESCING");
    }

    @Test
    void parseNodes_commentsBlankLinesAndNewlines_areAccepted() {
        assertThat(MasterConfig.parseNodes("# nodes\naux-1@h:1\n\n aux-2@h:2 # second\n", "F"))
                .extracting(n -> n.id()).containsExactly("aux-1", "aux-2");
    }

    @Test
    void describe_masksTheToken() {
        assertThat(config("AUX_NODES", "a:1", "CLUSTER_TOKEN", "s3cret").describe())
                .doesNotContain("s3cret").contains("token=***");
    }

    @Test
    void maxInflightBytes_default_derivedFromTheHeap() {
        Env env = new Env(Map.of("AUX_NODES", "a:1"));

        assertThat(MasterConfig.from(env, 256L << 20).maxInflightBytes()).isEqualTo(48L << 20);
        assertThat(MasterConfig.from(env, 384L << 20).maxInflightBytes()).isEqualTo(80L << 20);
        // the near cache's bytes come off the heap first
        assertThat(MasterConfig.from(new Env(Map.of("AUX_NODES", "a:1", "NEAR_CACHE_ENABLED", "true")), 256L << 20)
                .maxInflightBytes()).isEqualTo(40L << 20);
    }

    @Test
    void admission_setExplicitly_overridesTheDefaults() {
        MasterConfig c = config("AUX_NODES", "a:1", "MASTER_MAX_INFLIGHT_BYTES", "33554432",
                "MASTER_ADMISSION_WAIT_MS", "0", "MASTER_STALE_WRITE_MS", "0");

        assertThat(c.maxInflightBytes()).isEqualTo(32L << 20);
        assertThat(c.admissionWait()).isZero();
        assertThat(c.staleWrite()).isZero();
        assertThatThrownBy(() -> config("AUX_NODES", "a:1", "MASTER_MAX_INFLIGHT_BYTES", "1000"))
                .hasMessageContaining("MASTER_MAX_INFLIGHT_BYTES");
    }
}
