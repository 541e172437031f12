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
    void parseNodes_commentsBlankLinesAndNewlines_areAccepted() {
        assertThat(MasterConfig.parseNodes("# nodes\naux-1@h:1\n\n aux-2@h:2 # second\n", "F"))
                .extracting(n -> n.id()).containsExactly("aux-1", "aux-2");
    }

    @Test
    void describe_masksTheToken() {
        assertThat(config("AUX_NODES", "a:1", "CLUSTER_TOKEN", "s3cret").describe())
                .doesNotContain("s3cret").contains("token=***");
    }
}
