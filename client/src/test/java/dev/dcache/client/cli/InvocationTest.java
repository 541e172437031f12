package dev.dcache.client.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InvocationTest {
    private static Invocation parse(String line, Map<String, String> env) {
        return Invocation.parse(line.isEmpty() ? new String[0] : line.split(" "), env);
    }

    @Test
    void parse_optionsAroundTheCommand_areAllTaken() {
        Invocation i = parse("--host a:1,b:2 set --ttl=30 --host http://c:3 k --json {\"n\":1}", Map.of());

        assertThat(i.command()).isEqualTo(Command.SET);
        assertThat(i.operands()).containsExactly("k", "{\"n\":1}");
        assertThat(i.hosts()).containsExactly(URI.create("http://a:1"), URI.create("http://b:2"), URI.create("http://c:3"));
        assertThat(i.ttlSeconds()).isEqualTo(30);
        assertThat(i.json()).isTrue();
    }

    @Test
    void parse_noHost_isDcacheHostElseTheDefault() {
        assertThat(parse("get k", Map.of("DCACHE_HOST", "http://x:9")).hosts()).containsExactly(URI.create("http://x:9"));
        assertThat(parse("get k", Map.of()).hosts()).containsExactly(URI.create(Invocation.DEFAULT_HOST));
    }

    @Test
    void parse_doubleDash_endsOptionsSoAValueMayStartWithADash() {
        Invocation i = parse("set --timeout 0.5 k -- -5", Map.of());

        assertThat(i.operands()).containsExactly("k", "-5");
        assertThat(i.timeout()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void parse_loneDash_isAnOperand() {
        assertThat(parse("set k -", Map.of()).operands()).isEqualTo(List.of("k", "-"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "frobnicate k", "get", "get a b", "del --ttl 5 k", "get --ttl 5 k", "set --ttl 0 k v",
            "set --ttl x k v", "set --json --raw k v", "set --type text/plain k v", "mset a", "mset a 1 b",
            "--timeout -1 get k", "--retries 101 get k", "get -x k", "--bogus get k", "stats extra", "get --host",
            "--ttl 1 --ttl 2 set k v"})
    void run_wrongCommandLine_exitsWithUsageAndSaysWhyOnStderr(String line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Dcache.run(line.isEmpty() ? new String[0] : line.split(" "), new ByteArrayInputStream(new byte[0]),
                new PrintStream(out), new PrintStream(err), Map.of());

        assertThat(status).isEqualTo(ExitCode.USAGE.status());
        assertThat(out.size()).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("dcache: ");
    }

    @Test
    void run_help_printsTheCommandsAndExitCodes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = Dcache.run(new String[]{"--help"}, new ByteArrayInputStream(new byte[0]), new PrintStream(out),
                new PrintStream(new ByteArrayOutputStream()), Map.of());

        assertThat(status).isZero();
        String help = out.toString(StandardCharsets.UTF_8);
        for (Command c : Command.values()) {
            assertThat(help).contains(c.synopsis());
        }
        for (ExitCode code : ExitCode.values()) {
            assertThat(help).contains("  " + code.status() + "  ");
        }
    }

    @Test
    void named_unknownCommand_isAUsageError() {
        assertThatThrownBy(() -> Command.named("sett")).isInstanceOf(UsageException.class).hasMessageContaining("sett");
    }
}
