package dev.dcache.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.ContainerState;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Testcontainers;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real stack: {@code docker compose up --build} of docker-compose.yml (aux, master, nginx; the
 * monitoring services are left out), then the public API through nginx, then one aux container
 * killed while the keys written before stay readable (REPLICATION_FACTOR=2).
 *
 * <p>Needs a Docker engine and the {@code docker compose} plugin; skipped without either. The
 * first run builds both images (a Maven build inside Docker) and takes minutes. Waits are polls
 * against a deadline: real containers offer no clock to advance.
 */
@Testcontainers(disabledWithoutDocker = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeStackTest {
    private static final Duration STARTUP = Duration.ofMinutes(15);
    private static final Duration SETTLE = Duration.ofSeconds(60);
    private static final int AUX_NODES = 3;
    private static final int MASTERS = 2;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static ComposeContainer stack;
    private static String nginx;

    @BeforeAll
    static void up() throws IOException, InterruptedException {
        assumeTrue(composePluginAvailable(), "the docker CLI has no compose plugin ('docker compose version' failed)");
        Repo repo = Repo.locate();
        stack = new ComposeContainer(repo.path("docker-compose.yml").toFile())
                .withLocalCompose(true)
                .withBuild(true)
                // compose pulls what the started services need; Testcontainers' own pre-pull
                // would also fetch the monitoring images and try the locally built tags
                .withPull(false)
                .withEnv("CLUSTER_TOKEN", "test-" + UUID.randomUUID())
                // the published port is not what the test uses (that is the ambassador's), but a
                // fixed 8080 would collide with whatever else the machine runs
                .withEnv("DCACHE_HTTP_PORT", "127.0.0.1:" + freePort())
                .withServices("aux", "master", "nginx")
                .withExposedService("nginx", 1, 8080, Wait.forHttp("/health").forStatusCode(200).withStartupTimeout(STARTUP))
                .withTailChildContainers(true)
                .withStartupTimeout(STARTUP);
        stack.start();
        nginx = "http://" + stack.getServiceHost("nginx-1", 8080) + ":" + stack.getServicePort("nginx-1", 8080);
        // Masters answer /health before they have admitted every aux node; writing earlier would
        // place keys on a two-node ring that then changes under the test.
        for (int i = 1; i <= MASTERS; i++) {
            ContainerState master = container("master-" + i);
            eventually(SETTLE, "master-" + i + " sees " + AUX_NODES + " aux nodes on its ring",
                    () -> cluster(master).path("ring").size() == AUX_NODES);
        }
    }

    @AfterAll
    static void down() {
        if (stack != null) {
            stack.stop();
        }
    }

    @Test
    @Order(1)
    void publicApi_throughNginx_putGetDeleteRoundTrip() throws Exception {
        Reply put = postJson("/data", Map.of("key", "greeting", "value", "hello"));
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        assertThat(put.json().path("replicas").asInt()).isEqualTo(2);

        Reply get = send(HttpRequest.newBuilder(uri("/data/greeting")).GET());
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.json().path("value").asText()).isEqualTo("hello");

        assertThat(send(HttpRequest.newBuilder(uri("/data/greeting")).DELETE()).status()).isEqualTo(200);
        Reply gone = send(HttpRequest.newBuilder(uri("/data/greeting")).GET());
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.json().has("error")).as(gone.body()).isTrue();
    }

    @Test
    @Order(2)
    void publicApi_percentEncodedKey_reachesTheMasterUndecoded() throws Exception {
        String key = "dir/file name";
        assertThat(postJson("/data", Map.of("key", key, "value", "odd")).status()).isEqualTo(200);

        Reply get = send(HttpRequest.newBuilder(uri("/data/dir%2Ffile%20name")).GET());
        assertThat(get.status()).as(get.body()).isEqualTo(200);
        assertThat(get.json().path("key").asText()).isEqualTo(key);
        assertThat(get.json().path("value").asText()).isEqualTo("odd");
    }

    @Test
    @Order(3)
    void privateRoutes_throughNginx_areNotFoundAsJson() throws Exception {
        for (String path : new String[] {"/cluster", "/metrics", "/admin/snapshot", "/internal/entries"}) {
            Reply r = send(HttpRequest.newBuilder(uri(path)).GET());
            assertThat(r.status()).as(path).isEqualTo(404);
            assertThat(r.json()).as(path + " body is JSON: " + r.body()).isNotNull();
        }
    }

    @Test
    @Order(4)
    void killedAuxNode_keysWrittenBefore_stayReadable() throws Exception {
        Map<String, String> written = new LinkedHashMap<>();
        for (int i = 0; i < 60; i++) {
            String key = "survivor-" + i;
            String value = "v" + i;
            Reply put = postJson("/data", Map.of("key", key, "value", value));
            assertThat(put.status()).as(put.body()).isEqualTo(200);
            assertThat(put.json().path("replicas").asInt()).as("replicas of " + key).isEqualTo(2);
            written.put(key, value);
        }

        String victim = container("aux-1").getContainerId();
        DockerClientFactory.instance().client().killContainerCmd(victim).exec();

        // With RF=2 every key has a copy on a live node. Reads whose primary was the dead node fail
        // over to the next owner; the deadline only absorbs a master that is mid-ejection.
        for (Map.Entry<String, String> e : written.entrySet()) {
            eventually(Duration.ofSeconds(20), "read of " + e.getKey() + " after the kill", () -> {
                Reply r = send(HttpRequest.newBuilder(uri("/data/" + e.getKey())).GET());
                return r.status() == 200 && e.getValue().equals(r.json().path("value").asText());
            });
        }
    }

    // --- plumbing ----------------------------------------------------------------------------

    private record Reply(int status, JsonNode json, String body) {
    }

    private static URI uri(String path) {
        return URI.create(nginx + path);
    }

    private static Reply postJson(String path, Object body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body), StandardCharsets.UTF_8)));
    }

    private static Reply send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> r = CLIENT.send(request.timeout(Duration.ofSeconds(15)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        JsonNode json;
        try {
            json = r.body().isEmpty() ? null : JSON.readTree(r.body());
        } catch (IOException notJson) {
            json = null;
        }
        return new Reply(r.statusCode(), json, r.body());
    }

    private static ContainerState container(String instance) {
        return stack.getContainerByServiceName(instance)
                .orElseThrow(() -> new AssertionError("no compose container " + instance));
    }

    /** A master's own view, asked inside its container: /cluster is never published. */
    private static JsonNode cluster(ContainerState master) {
        try {
            Container.ExecResult r = master.execInContainer("curl", "-fsS", "--max-time", "2", "http://127.0.0.1:8000/cluster");
            return r.getExitCode() == 0 ? JSON.readTree(r.getStdout()) : JSON.createObjectNode();
        } catch (IOException e) {
            return JSON.createObjectNode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @FunctionalInterface
    private interface Check {
        boolean holds() throws Exception;
    }

    private static void eventually(Duration within, String what, Check check) throws InterruptedException {
        Instant deadline = Instant.now().plus(within);
        Exception lastError = null;
        while (Instant.now().isBefore(deadline)) {
            try {
                if (check.holds()) {
                    return;
                }
            } catch (Exception e) {
                lastError = e;
            }
            TimeUnit.MILLISECONDS.sleep(250);
        }
        throw new AssertionError(what + " did not happen within " + within.toSeconds() + " s", lastError);
    }

    private static boolean composePluginAvailable() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("docker", "compose", "version").redirectErrorStream(true).start();
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
