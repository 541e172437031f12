package dev.dcache.common.ring;

import dev.dcache.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowable;

class NodeAddressTest {
    private static final String VAR = "AUX_NODES";

    @Test
    void parse_idAtHostPort_takesAllThree() {
        NodeAddress a = NodeAddress.parse("aux-1@10.0.0.5:9001", VAR);

        assertThat(a).isEqualTo(new NodeAddress("aux-1", "10.0.0.5", 9001));
        assertThat(a.baseUri()).isEqualTo(URI.create("http://10.0.0.5:9001"));
        assertThat(a).hasToString("aux-1@10.0.0.5:9001");
    }

    @Test
    void parse_hostPort_usesAddressAsId() {
        NodeAddress a = NodeAddress.parse("cache-3.internal:9001", VAR);

        assertThat(a).isEqualTo(new NodeAddress("cache-3.internal:9001", "cache-3.internal", 9001));
    }

    @Test
    void parse_surroundingWhitespace_isIgnored() {
        assertThat(NodeAddress.parse("  aux-1@localhost:9001\t", VAR))
                .isEqualTo(new NodeAddress("aux-1", "localhost", 9001));
    }

    @Test
    void parse_bracketedIpv6_keepsBracketsInHost() {
        NodeAddress a = NodeAddress.parse("aux-1@[::1]:9001", VAR);

        assertThat(a.host()).isEqualTo("[::1]");
        assertThat(a.port()).isEqualTo(9001);
        assertThat(a.baseUri()).isEqualTo(URI.create("http://[::1]:9001"));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 65535})
    void parse_portAtRangeEdge_isAccepted(int port) {
        assertThat(NodeAddress.parse("h:" + port, VAR).port()).isEqualTo(port);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h:0", "h:65536", "h:-1", "aux-1@h:99999", "h:2147483648"})
    void parse_portOutOfRange_failsNamingVariableAndEntry(String text) {
        ConfigException e = catchConfigException(text);

        assertThat(e.getMessage()).startsWith(VAR).contains("'" + text + "'").containsAnyOf("range", "non-numeric");
    }

    @ParameterizedTest
    @ValueSource(strings = {"h:abc", "h:90a", "h:9 1", "aux-1@h:http"})
    void parse_nonNumericPort_failsNamingVariableAndEntry(String text) {
        assertThat(catchConfigException(text).getMessage())
                .isEqualTo(VAR + " entry '" + text + "' has a non-numeric port");
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "h:", ":9001", "aux-1@:9001", "aux-1@h", ""})
    void parse_missingHostOrPort_failsNamingVariableAndEntry(String text) {
        assertThat(catchConfigException(text).getMessage())
                .isEqualTo(VAR + " entries must be [id@]host:port, was '" + text + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"@h:9001", " @h:9001"})
    void parse_emptyId_failsNamingVariableAndEntry(String text) {
        assertThat(catchConfigException(text).getMessage())
                .startsWith(VAR).contains("'" + text + "'").contains("empty id");
    }

    @Test
    void parse_blankHostAfterId_failsNamingVariableAndEntry() {
        assertThat(catchConfigException("aux-1@ :9001").getMessage())
                .startsWith(VAR).contains("'aux-1@ :9001'").contains("host");
    }

    @Test
    void new_invalidParts_isRejected() {
        assertThatIllegalArgumentException().isThrownBy(() -> new NodeAddress("", "h", 1));
        assertThatIllegalArgumentException().isThrownBy(() -> new NodeAddress("a", " ", 1));
        assertThatIllegalArgumentException().isThrownBy(() -> new NodeAddress("a", "h", 0));
        assertThatIllegalArgumentException().isThrownBy(() -> new NodeAddress("a", "h", 65536));
    }

    private static ConfigException catchConfigException(String text) {
        Throwable thrown = catchThrowable(() -> NodeAddress.parse(text, VAR));
        assertThat(thrown).as("parsing '%s'", text).isInstanceOf(ConfigException.class);
        return (ConfigException) thrown;
    }
}
