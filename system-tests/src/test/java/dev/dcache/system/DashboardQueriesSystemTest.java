package dev.dcache.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The Grafana dashboards ({@code grafana/dashboards/*.json}) and the alert rules
 * ({@code prometheus/alerts.yml}) against a real cluster: {@code bin/cluster up} with its
 * Prometheus, some traffic through nginx (puts, hits, misses, deletes, bulk, a bad request), two
 * scrapes of every node, then every expression is sent to Prometheus' {@code /api/v1/query}.
 * A dashboard or alert that names a metric or label the nodes do not export fails here instead of
 * showing "No data" in production.
 *
 * <h2>How an expression is judged</h2>
 * <ul>
 *   <li><b>Dashboard targets</b>, with template variables substituted ({@code $node} by a real
 *   node id from the variable's own {@code label_values} query, {@code $__rate_interval} by 1m,
 *   {@code $__interval} by 15s, {@code $__range} by 5m): the query must succeed and return at
 *   least one series. Every panel is meant to show something on a cluster that just served
 *   traffic.</li>
 *   <li><b>Alert rules</b> are conditions, and a condition returns nothing while the cluster is
 *   healthy, as this one is. So the whole expression must evaluate without error (valid PromQL,
 *   and vector matching that works on the real series), and its <em>signal</em> must return
 *   series: the expression with its top-level comparison cut off ({@code x > 0.05} becomes
 *   {@code x}) and {@code absent(...)} unwrapped ({@code absent(up{job="aux"} == 1)} becomes
 *   {@code up{job="aux"}}). That the thresholds and {@code for} durations fire when they should is
 *   tested by {@code promtool test rules prometheus/alerts_test.yml}.</li>
 *   <li><b>Pending metrics</b> ({@link #PENDING_METRICS}): an expression naming a metric that a
 *   feature still in progress will export is evaluated too, but skipped, with a printed note,
 *   while it returns no series.</li>
 * </ul>
 * The dashboards' JSON is also checked for what Grafana needs: a schemaVersion, unique panel ids,
 * every query panel on the provisioned datasource uid, a refId and an expr on every target. And
 * promtool, which comes with Prometheus, checks the Compose config and the rules and runs the
 * rules' unit tests.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DashboardQueriesSystemTest {
    /**
     * Metrics used by a dashboard or an alert that this branch's nodes do not export yet, each with
     * the feature it waits for. Keep it short; remove an entry once its metric exists (the test
     * prints a reminder when one does).
     */
    private static final Map<String, String> PENDING_METRICS = Map.of(); // none: snapshots have landed

    /** What Grafana substitutes for its built-in interval variables, as a dashboard at 30m would. */
    private static final Map<String, String> BUILT_IN_VARIABLES = Map.of(
            "__rate_interval", "1m",
            "__interval", "15s",
            "__interval_ms", "15000",
            "__range", "5m",
            "__range_s", "300",
            "__range_ms", "300000");

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::\\w+)?}|\\[\\[(\\w+)]]|\\$(\\w+)");
    private static final Pattern LABEL_VALUES = Pattern.compile(
            "^label_values\\(\\s*(?:(.+?)\\s*,\\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)$");
    private static final Pattern ABSENT = Pattern.compile("^absent(?:_over_time)?\\s*\\(");
    private static final Duration SCRAPE_WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();

    @RegisterExtension
    static final Clusters CLUSTERS = new Clusters();
    private static LaunchedCluster cluster;

    private static final AtomicInteger checked = new AtomicInteger();
    private static final AtomicInteger skipped = new AtomicInteger();
    private static final Set<String> pendingSeen = new TreeSet<>();
    private static HttpClient http;

    @BeforeAll
    static void driveTrafficAndAwaitScrapes() throws Exception {
        cluster = CLUSTERS.forClass(LaunchedCluster.Layout.of(3, 2, 2).withPrometheus());
        http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        String api = cluster.api();
        for (int i = 0; i < 30; i++) {
            String key = "dash-" + i;
            assertStatus(send("POST", api + "/data", "{\"key\":\"" + key + "\",\"value\":\"v" + i + "\",\"ttl\":300}"), 200);
            assertStatus(send("GET", api + "/data/" + key, null), 200);
            assertStatus(send("GET", api + "/data/missing-" + i, null), 404);
        }
        for (int i = 0; i < 10; i++) {
            assertStatus(send("DELETE", api + "/data/dash-" + i, null), 200);
        }
        assertStatus(send("DELETE", api + "/data/dash-0", null), 404);
        assertStatus(send("POST", api + "/data", "{\"key\":"), 400);
        assertStatus(send("POST", api + "/data/bulk", "[{\"key\":\"b1\",\"value\":\"1\"},{\"key\":\"b2\",\"value\":\"2\"}]"), 200);
        assertStatus(send("POST", api + "/data/bulk/get", "[\"b1\",\"b2\",\"b3\"]"), 200);

        // two scrapes of every node after the traffic: rate() needs two samples that include it
        Instant mark = Instant.now();
        for (int scrape = 0; scrape < 2; scrape++) {
            mark = awaitEveryTargetScrapedAfter(mark);
        }
    }

    @AfterAll
    static void printCount() {
        System.out.printf("DashboardQueriesSystemTest: %d expressions checked against Prometheus, %d skipped "
                + "(pending metrics %s)%n", checked.get(), skipped.get(), pendingSeen);
    }

    @Test
    void dashboards_areWellFormedForGrafana() throws IOException {
        String uid = provisionedDatasourceUid();
        Set<String> dashboardUids = new HashSet<>();
        List<Path> files = dashboardFiles();
        assertThat(files).as("grafana/dashboards/*.json").isNotEmpty();
        for (Path file : files) {
            JsonNode dashboard = JSON.readTree(file.toFile());
            String name = file.getFileName().toString();
            assertThat(dashboard.path("schemaVersion").isInt()).as("%s schemaVersion", name).isTrue();
            assertThat(dashboard.path("schemaVersion").asInt()).as("%s schemaVersion", name).isGreaterThanOrEqualTo(36);
            assertThat(dashboard.path("uid").asText()).as("%s uid", name).isNotBlank();
            assertThat(dashboardUids.add(dashboard.path("uid").asText())).as("%s uid is unique", name).isTrue();
            assertThat(dashboard.path("title").asText()).as("%s title", name).isNotBlank();

            Set<Integer> ids = new HashSet<>();
            for (JsonNode panel : panels(dashboard)) {
                String where = name + " panel '" + panel.path("title").asText() + "'";
                assertThat(panel.path("id").isInt()).as("%s id", where).isTrue();
                assertThat(ids.add(panel.path("id").asInt())).as("%s id %s is unique", where, panel.path("id")).isTrue();
                JsonNode grid = panel.path("gridPos");
                assertThat(grid.path("w").asInt()).as("%s gridPos.w", where).isBetween(1, 24);
                assertThat(grid.path("x").asInt() + grid.path("w").asInt()).as("%s gridPos x+w", where).isLessThanOrEqualTo(24);
                assertThat(grid.path("h").asInt()).as("%s gridPos.h", where).isPositive();
                if (panel.path("type").asText().equals("row")) {
                    continue; // a row only groups panels: no datasource, no queries
                }
                assertThat(panel.path("datasource").path("uid").asText()).as("%s datasource uid", where).isEqualTo(uid);
                assertThat(panel.path("datasource").path("type").asText()).as("%s datasource type", where).isEqualTo("prometheus");
                assertThat(panel.path("targets").size()).as("%s targets", where).isPositive();
                Set<String> refIds = new HashSet<>();
                for (JsonNode target : panel.path("targets")) {
                    assertThat(target.path("refId").asText()).as("%s refId", where).isNotBlank();
                    assertThat(refIds.add(target.path("refId").asText())).as("%s refId %s is unique", where, target.path("refId")).isTrue();
                    assertThat(target.path("expr").asText()).as("%s target %s expr", where, target.path("refId")).isNotBlank();
                    if (target.has("datasource")) {
                        assertThat(target.path("datasource").path("uid").asText()).as("%s target datasource uid", where).isEqualTo(uid);
                    }
                }
            }
            for (JsonNode variable : dashboard.path("templating").path("list")) {
                if (variable.has("datasource")) {
                    assertThat(variable.path("datasource").path("uid").asText())
                            .as("%s variable %s datasource uid", name, variable.path("name")).isEqualTo(uid);
                }
            }
        }
        for (Path file : files) {
            for (JsonNode link : JSON.readTree(file.toFile()).path("links")) {
                Matcher m = Pattern.compile("^/d/([^/]+)").matcher(link.path("url").asText());
                if (m.find()) {
                    assertThat(dashboardUids).as("%s links to %s", file.getFileName(), link.path("url")).contains(m.group(1));
                }
            }
        }
    }

    @Test
    void grafanaProvisioning_pointsAtComposePrometheusAndDashboardsFolder() throws IOException {
        JsonNode datasources = YAML.readTree(path("grafana/provisioning/datasources/prometheus.yml").toFile()).path("datasources");
        assertThat(datasources.size()).as("datasources").isEqualTo(1);
        assertThat(datasources.get(0).path("type").asText()).isEqualTo("prometheus");
        assertThat(datasources.get(0).path("url").asText()).isEqualTo("http://prometheus:9090");

        JsonNode providers = YAML.readTree(path("grafana/provisioning/dashboards/dcache.yml").toFile()).path("providers");
        assertThat(providers.size()).as("dashboard providers").isEqualTo(1);
        assertThat(providers.get(0).path("type").asText()).isEqualTo("file");
        // where docker-compose.yml mounts grafana/dashboards
        assertThat(providers.get(0).path("options").path("path").asText()).isEqualTo("/var/lib/grafana/dashboards");
    }

    /** promtool comes with the prometheus package that this class already requires. */
    @ParameterizedTest(name = "promtool {0}")
    @ValueSource(strings = {"check config prometheus/prometheus.yml", "check rules prometheus/alerts.yml",
            "test rules prometheus/alerts_test.yml"})
    void promtool_acceptsTheComposeConfigAndRules_andTheAlertUnitTestsPass(String args) throws Exception {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args.split(" ")));
        Process process = new ProcessBuilder(command)
                .directory(cluster.repoRoot().toFile())
                .redirectErrorStream(true)
                .start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("promtool %s finished", args).isTrue();
        assertThat(process.exitValue()).as("promtool %s:%n%s", args, output).isZero();
    }

    @TestFactory
    Stream<DynamicTest> dashboardTargets_returnSeries() throws IOException, InterruptedException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : dashboardFiles()) {
            JsonNode dashboard = JSON.readTree(file.toFile());
            Map<String, String> variables = variables(dashboard);
            for (JsonNode panel : panels(dashboard)) {
                for (JsonNode target : panel.path("targets")) {
                    String name = dashboard.path("uid").asText() + " / " + panel.path("title").asText() + " / "
                            + target.path("refId").asText();
                    String expr = substitute(target.path("expr").asText(), variables, name);
                    tests.add(DynamicTest.dynamicTest(name, () -> assertReturnsSeries(name, expr)));
                }
            }
        }
        assertThat(tests).as("dashboard targets").isNotEmpty();
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> alertRules_evaluateAndTheirSignalsReturnSeries() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode rule : alertRules()) {
            String name = rule.path("alert").asText();
            String expr = rule.path("expr").asText().strip();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                assertThat(rule.path("labels").path("severity").asText()).as("%s severity label", name).isNotBlank();
                assertThat(rule.path("annotations").path("summary").asText()).as("%s summary", name).isNotBlank();
                assertThat(rule.path("annotations").path("description").asText()).as("%s description", name).isNotBlank();
                query(name + " (whole expression)", expr);
                assertReturnsSeries(name + " (signal)", signal(expr));
            }));
        }
        assertThat(tests).as("alert rules").isNotEmpty();
        return tests.stream();
    }

    @Test
    void clusterPrometheus_loadedEveryAlertRule_andEvaluatesThemWithoutError() throws Exception {
        Set<String> expected = new TreeSet<>();
        alertRules().forEach(rule -> expected.add(rule.path("alert").asText()));
        long deadline = System.nanoTime() + SCRAPE_WAIT.toNanos();
        while (true) {
            JsonNode groups = get("/api/v1/rules").path("data").path("groups");
            Set<String> loaded = new TreeSet<>();
            List<String> unevaluated = new ArrayList<>();
            List<String> unhealthy = new ArrayList<>();
            for (JsonNode group : groups) {
                for (JsonNode rule : group.path("rules")) {
                    loaded.add(rule.path("name").asText());
                    switch (rule.path("health").asText()) {
                        case "ok" -> { }
                        case "unknown" -> unevaluated.add(rule.path("name").asText());
                        default -> unhealthy.add(rule.path("name").asText() + ": " + rule.path("lastError").asText());
                    }
                }
            }
            assertThat(loaded).as("alert rules the cluster's Prometheus loaded").isEqualTo(expected);
            assertThat(unhealthy).as("rules whose evaluation failed").isEmpty();
            if (unevaluated.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                fail("rules never evaluated within " + SCRAPE_WAIT + ": " + unevaluated);
            }
            Thread.sleep(250); // the poll interval of this bounded wait (fail() at the deadline above)
        }
    }

    // ---------------------------------------------------------------------------------------
    // judging expressions

    private static void assertReturnsSeries(String name, String expr) throws Exception {
        JsonNode result = query(name, expr);
        Set<String> pending = pendingMetricsIn(expr);
        if (result.isEmpty() && !pending.isEmpty()) {
            skipped.incrementAndGet();
            pendingSeen.addAll(pending);
            String note = "SKIPPED (pending metrics): " + name + " returns no series; it waits for "
                    + pending.stream().map(m -> m + " [" + PENDING_METRICS.get(m) + "]").toList() + ": " + expr;
            System.out.println(note);
            Assumptions.abort(note);
        }
        checked.incrementAndGet();
        if (!pending.isEmpty()) {
            System.out.println("NOTE: " + name + " has series now: remove " + pending
                    + " from DashboardQueriesSystemTest.PENDING_METRICS");
        }
        assertThat(result.size()).as("series returned by %s: %s", name, expr).isPositive();
    }

    private static Set<String> pendingMetricsIn(String expr) {
        Set<String> found = new TreeSet<>();
        for (String metric : PENDING_METRICS.keySet()) {
            if (Pattern.compile("(?<![a-zA-Z0-9_:])" + Pattern.quote(metric) + "(?![a-zA-Z0-9_:])").matcher(expr).find()) {
                found.add(metric);
            }
        }
        return found;
    }

    /**
     * What an alert watches: the expression without its top-level comparison and threshold, and
     * with {@code absent(...)} unwrapped. Strings and brackets are skipped while scanning, so
     * {@code !=} or {@code =~} inside a label matcher is never taken for a comparison.
     */
    private static String signal(String expr) {
        String e = expr.strip();
        Matcher absent = ABSENT.matcher(e);
        if (absent.find() && closingParen(e, absent.end() - 1) == e.length() - 1) {
            return signal(e.substring(absent.end(), e.length() - 1));
        }
        int depth = 0;
        for (int i = 0; i < e.length(); i++) {
            char c = e.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = endOfString(e, i);
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (depth == 0 && (c == '>' || c == '<'
                    || ((c == '=' || c == '!') && i + 1 < e.length() && e.charAt(i + 1) == '='))) {
                return signal(e.substring(0, i));
            }
        }
        return e;
    }

    private static int closingParen(String e, int open) {
        int depth = 0;
        for (int i = open; i < e.length(); i++) {
            char c = e.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = endOfString(e, i);
            } else if (c == '(') {
                depth++;
            } else if (c == ')' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    private static int endOfString(String e, int start) {
        char quote = e.charAt(start);
        for (int i = start + 1; i < e.length(); i++) {
            if (e.charAt(i) == '\\' && quote != '`') {
                i++;
            } else if (e.charAt(i) == quote) {
                return i;
            }
        }
        return e.length();
    }

    // ---------------------------------------------------------------------------------------
    // dashboards and rules

    private static Path path(String relative) {
        return cluster.repoRoot().resolve(relative);
    }

    private static List<Path> dashboardFiles() throws IOException {
        try (Stream<Path> files = Files.list(path("grafana/dashboards"))) {
            return files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
        }
    }

    private static String provisionedDatasourceUid() throws IOException {
        JsonNode datasources = YAML.readTree(path("grafana/provisioning/datasources/prometheus.yml").toFile()).path("datasources");
        String uid = datasources.path(0).path("uid").asText();
        assertThat(uid).as("uid of the provisioned datasource").isNotBlank();
        return uid;
    }

    /** Every panel, the ones inside (collapsed) rows included. */
    private static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> all = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            all.add(panel);
            panel.path("panels").forEach(all::add);
        }
        return all;
    }

    private static List<JsonNode> alertRules() throws IOException {
        List<JsonNode> rules = new ArrayList<>();
        for (JsonNode group : YAML.readTree(path("prometheus/alerts.yml").toFile()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                assertThat(rule.has("alert")).as("rule %s in group %s is an alert (recording rules are not expected)",
                        rule, group.path("name")).isTrue();
                rules.add(rule);
            }
        }
        return rules;
    }

    /**
     * The dashboard's template variables with a value each: Grafana's built-ins, and for every
     * {@code label_values(metric, label)} query variable the first value Prometheus has for it.
     */
    private static Map<String, String> variables(JsonNode dashboard) throws IOException, InterruptedException {
        Map<String, String> values = new LinkedHashMap<>(BUILT_IN_VARIABLES);
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            String name = variable.path("name").asText();
            String type = variable.path("type").asText();
            JsonNode q = variable.path("query");
            String query = (q.isObject() ? q.path("query") : q).asText().strip();
            switch (type) {
                case "query" -> {
                    Matcher m = LABEL_VALUES.matcher(query);
                    assertThat(m.matches()).as("variable %s: only label_values(metric, label) is supported here, was %s",
                            name, query).isTrue();
                    String path = "/api/v1/label/" + m.group(2) + "/values"
                            + (m.group(1) == null ? "" : "?match[]=" + URLEncoder.encode(m.group(1), StandardCharsets.UTF_8));
                    List<String> found = new ArrayList<>();
                    get(path).path("data").forEach(v -> found.add(v.asText()));
                    assertThat(found).as("values of variable %s (%s)", name, query).isNotEmpty();
                    values.put(name, found.stream().sorted().findFirst().orElseThrow());
                }
                case "custom", "interval" -> values.put(name, query.split(",")[0].strip());
                case "constant", "textbox" -> values.put(name, query);
                default -> { } // datasource and ad hoc variables do not appear in expressions
            }
        }
        return values;
    }

    private static String substitute(String expr, Map<String, String> variables, String where) {
        Matcher m = VARIABLE.matcher(expr);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
            String value = variables.get(name);
            if (value == null) {
                fail(where + " uses $" + name + ", which is neither a variable of its dashboard nor a Grafana built-in: " + expr);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    // ---------------------------------------------------------------------------------------
    // Prometheus and the API

    /** The result array of an instant query; fails on any error Prometheus reports. */
    private static JsonNode query(String name, String expr) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(cluster.prometheusUrl() + "/api/v1/query"))
                .timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8)))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        JsonNode body = JSON.readTree(response.body());
        if (!"success".equals(body.path("status").asText())) {
            fail(name + ": Prometheus answered " + response.statusCode() + " " + body.path("errorType").asText() + ": "
                    + body.path("error").asText() + "\n  query: " + expr);
        }
        return body.path("data").path("result");
    }

    private static JsonNode get(String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(cluster.prometheusUrl() + path))
                .timeout(Duration.ofSeconds(15)).GET().build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    /**
     * Waits until Prometheus has scraped every node successfully after {@code after}; returns
     * the latest of those scrapes.
     */
    private static Instant awaitEveryTargetScrapedAfter(Instant after) throws IOException, InterruptedException {
        int expected = cluster.layout().aux() + cluster.layout().masters();
        long deadline = System.nanoTime() + SCRAPE_WAIT.toNanos();
        while (true) {
            JsonNode targets = get("/api/v1/targets?state=active").path("data").path("activeTargets");
            Instant latest = Instant.MIN;
            int done = 0;
            for (JsonNode target : targets) {
                Instant last = Instant.parse(target.path("lastScrape").asText());
                if (target.path("health").asText().equals("up") && last.isAfter(after)) {
                    done++;
                    latest = last.isAfter(latest) ? last : latest;
                }
            }
            if (targets.size() == expected && done == expected) {
                return latest;
            }
            if (System.nanoTime() > deadline) {
                fail("Prometheus did not scrape all " + expected + " nodes after " + after + " within " + SCRAPE_WAIT
                        + "; targets: " + targets);
            }
            Thread.sleep(250); // the poll interval of this bounded wait (fail() at the deadline above)
        }
    }

    private static HttpResponse<String> send(String method, String url, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15));
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static void assertStatus(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as("%s %s -> %s", response.request().method(), response.request().uri(),
                response.body()).isEqualTo(status);
    }
}
