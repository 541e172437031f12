package dev.dcache.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.client.cli.Dcache;
import dev.dcache.common.time.FakeClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code dcache} command line against a real cluster (2 aux nodes, 1 master): every command,
 * run in this JVM through {@link Dcache#run}, checked on its stdout, stderr and exit status; and
 * once as {@code java -jar client/target/dcache-cli.jar}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliIT {
    private final FakeClock clock = new FakeClock(System.currentTimeMillis());
    private TestCluster cluster;
    private String master;

    /** One run: exit status, stdout (as bytes and UTF-8 text), stderr. */
    record Run(int status, byte[] stdout, String err) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    @BeforeAll
    void start() {
        cluster = TestCluster.of(clock, 2, 1);
        master = cluster.masterUrl(0);
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    private Run dcache(byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of("--host", master, "--timeout", "10"));
        all.addAll(List.of(args));
        int status = Dcache.run(all.toArray(String[]::new), new ByteArrayInputStream(stdin),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of());
        return new Run(status, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    private Run dcache(String... args) {
        return dcache(new byte[0], args);
    }

    @Test
    void setThenGet_printsOkThenTheStringAsText() {
        Run set = dcache("set", "greeting", "hello world");
        assertThat(set.status()).isZero();
        assertThat(set.out()).isEqualTo("OK\n");

        Run get = dcache("get", "greeting");
        assertThat(get.status()).isZero();
        assertThat(get.out()).isEqualTo("hello world\n");
        assertThat(get.err()).isEmpty();
        assertThat(dcache("get", "--json", "greeting").out()).isEqualTo("\"hello world\"\n");
    }

    @Test
    void set_withoutValue_readsStdinDroppingOneFinalNewline() {
        assertThat(dcache("from stdin\n\n".getBytes(StandardCharsets.UTF_8), "set", "piped").status()).isZero();
        assertThat(dcache("get", "piped").out()).isEqualTo("from stdin\n\n");

        assertThat(dcache("dash\n".getBytes(StandardCharsets.UTF_8), "set", "dashed", "-").status()).isZero();
        assertThat(dcache("get", "--json", "dashed").out()).isEqualTo("\"dash\"\n");
    }

    @Test
    void set_json_storesTheJsonValueWithEveryDigit() {
        assertThat(dcache("set", "--json", "doc", "{\"price\": 1.10, \"n\": [1, 2]}").status()).isZero();
        assertThat(dcache("get", "doc").out()).isEqualTo("{\"price\":1.10,\"n\":[1,2]}\n");

        assertThat(dcache("12345678901234567890\n".getBytes(StandardCharsets.UTF_8), "set", "--json", "big").status()).isZero();
        assertThat(dcache("get", "big").out()).isEqualTo("12345678901234567890\n");
    }

    @Test
    void set_invalidJsonOrNull_isAUsageError() {
        Run bad = dcache("set", "--json", "broken", "{nope");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("not valid JSON");
        assertThat(dcache("set", "--json", "nothing", "null").status()).isEqualTo(2);
        assertThat(dcache("get", "broken").status()).isEqualTo(1);
    }

    @Test
    void set_rawFromStdin_getRawWritesTheSameBytes() {
        byte[] bytes = {(byte) 0x89, 'P', 'N', 'G', 0, (byte) 0xFF, '\n'};
        assertThat(dcache(bytes, "set", "--raw", "--type", "image/png", "img").status()).isZero();

        assertThat(dcache("get", "--raw", "img").stdout()).isEqualTo(bytes);
        assertThat(dcache("get", "img").stdout()).isEqualTo(bytes);
    }

    @Test
    void get_raw_ofAJsonString_isItsTextWithoutNewline() {
        dcache("set", "words", "some words");

        assertThat(dcache("get", "--raw", "words").out()).isEqualTo("some words");
    }

    @Test
    void get_missingKey_exitsOneWithNothingOnStdout() {
        Run r = dcache("get", "absent");

        assertThat(r.status()).isEqualTo(1);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.err()).contains("no such key: absent");
    }

    @Test
    void del_existingThenAgain_exitsZeroThenOne() {
        dcache("set", "gone", "x");

        Run first = dcache("del", "gone");
        assertThat(first.status()).isZero();
        assertThat(first.out()).isEqualTo("OK\n");
        Run second = dcache("del", "gone");
        assertThat(second.status()).isEqualTo(1);
        assertThat(second.err()).contains("no such key");
    }

    @Test
    void msetThenMget_oneJsonLinePerKeyNullWhenMissing() {
        Run mset = dcache("mset", "--ttl", "100", "m1", "one", "m2", "two words");
        assertThat(mset.status()).isZero();
        assertThat(mset.out()).isEqualTo("OK\n");
        assertThat(dcache("mset", "--json", "m3", "[1,{\"a\":true}]").status()).isZero();

        Run mget = dcache("mget", "m1", "nope", "m2", "m3");
        assertThat(mget.status()).isZero();
        assertThat(mget.out()).isEqualTo("\"one\"\nnull\n\"two words\"\n[1,{\"a\":true}]\n");
        assertThat(dcache("ttl", "m1").out()).isEqualTo("100\n");
    }

    @Test
    void ttl_expiringPersistentAndMissing() {
        dcache("set", "--ttl", "60", "temp", "v");
        dcache("set", "forever", "v");

        assertThat(dcache("ttl", "temp").out()).isEqualTo("60\n");
        assertThat(dcache("ttl", "forever").out()).isEqualTo("-1\n");
        Run missing = dcache("ttl", "no-such");
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.stdout()).isEmpty();
    }

    @Test
    void statsAndCluster_printTheMastersMetricsAndView() throws IOException {
        Run stats = dcache("stats");
        assertThat(stats.status()).isZero();
        assertThat(stats.out()).contains("# TYPE").contains("dcache_");

        Run view = dcache("cluster");
        assertThat(view.status()).isZero();
        assertThat(new ObjectMapper().readTree(view.out()).path("master").asText()).isEqualTo("master-1");
    }

    @Test
    void usageErrors_exitTwo() {
        assertThat(dcache("get").status()).isEqualTo(2);
        assertThat(dcache("frobnicate", "k").status()).isEqualTo(2);
        assertThat(dcache("set", "--ttl", "0", "k", "v").status()).isEqualTo(2);
        assertThat(dcache("mset", "a").status()).isEqualTo(2);
    }

    @Test
    void refusedByTheServer_exitsThree() {
        Run r = dcache("set", "k".repeat(251), "v");

        assertThat(r.status()).isEqualTo(3);
        assertThat(r.err()).contains("refused").contains("400");
        assertThat(dcache("set", "--raw", "--type", "nonsense", "typed", "v").status()).isEqualTo(3);
    }

    @Test
    void noServer_exitsFour() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Dcache.run(new String[]{"--host", "127.0.0.1:" + port, "--retries", "1", "get", "k"},
                new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());

        assertThat(status).isEqualTo(4);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("could not connect");
    }

    @Test
    void jar_runsWithJavaDashJar() throws Exception {
        Path jar = Path.of("..", "client", "target", "dcache-cli.jar");
        Assumptions.assumeTrue(Files.isRegularFile(jar), "the CLI jar is built by the client module's package phase");
        dcache("set", "from-jar", "jar value");

        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-jar", jar.toString(), "--host", master, "get", "from-jar")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(out).isEqualTo("jar value\n");
    }
}
