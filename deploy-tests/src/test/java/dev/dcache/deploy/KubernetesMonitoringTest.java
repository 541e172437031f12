package dev.dcache.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On Kubernetes the masters and aux nodes must be scraped with job="master" and job="aux", the
 * labels prometheus/alerts.yml and the Grafana dashboards select on; plain annotation-based
 * scraping would name every target after its scrape job instead. Two ways are shipped, both
 * checked here against the pods deploy/k8s declares, without a cluster:
 * prometheus/prometheus.kubernetes.yml (its relabelings applied to those pods' discovery labels,
 * as Prometheus would) and deploy/k8s/monitoring (the Prometheus Operator's PodMonitor and a
 * PrometheusRule with the same alerts). bin/check-deploy runs promtool and kubectl kustomize on
 * the same files.
 */
class KubernetesMonitoringTest {
    private static final String SCRAPE_CONFIG = "prometheus/prometheus.kubernetes.yml";
    private static final String MONITORING = "deploy/k8s/monitoring";

    private static Repo repo;
    private static K8sManifests k8s;
    /** Labels every resource of the base gets from its kustomization (includeTemplates: pods too). */
    private static Map<String, String> commonLabels;

    @BeforeAll
    static void read() {
        repo = Repo.locate();
        k8s = K8sManifests.read(repo);
        commonLabels = new LinkedHashMap<>();
        for (JsonNode entry : repo.yaml(K8sManifests.DIR + "/kustomization.yaml").path("labels")) {
            entry.path("pairs").properties().forEach(p -> commonLabels.put(p.getKey(), p.getValue().asText()));
        }
    }

    @Test
    void scrapeConfig_appliedToTheDeclaredPods_givesOneTargetEachWithJobMasterOrAux() {
        JsonNode job = repo.yaml(SCRAPE_CONFIG).path("scrape_configs").path(0);
        assertThat(job.path("kubernetes_sd_configs").path(0).path("role").asText()).isEqualTo("pod");

        Map<String, List<Map<String, String>>> targets = new LinkedHashMap<>();
        for (JsonNode workload : k8s.workloads()) {
            String name = workload.path("metadata").path("name").asText();
            List<Map<String, String>> kept = new ArrayList<>();
            for (Map<String, String> discovered : discoveredTargets(workload, job.path("job_name").asText())) {
                Relabeling.apply(job.path("relabel_configs"), discovered).ifPresent(kept::add);
            }
            targets.put(name, kept);
        }

        assertThat(targets.get("nginx")).as("nginx is not scraped").isEmpty();
        for (String component : List.of("master", "aux")) {
            JsonNode workload = component.equals("aux") ? k8s.get("StatefulSet", "aux") : k8s.get("Deployment", "master");
            String port = annotations(workload).path("prometheus.io/port").asText();
            assertThat(targets.get(component)).as("targets of %s", component).hasSize(1);
            Map<String, String> target = targets.get(component).getFirst();
            assertThat(target).as("target of %s", component)
                    .containsEntry("job", component)
                    .containsEntry("__address__", "10.0.0.1:" + port)
                    .containsEntry("__metrics_path__", "/metrics")
                    .containsEntry("namespace", "dcache")
                    .containsKey("pod");
        }
    }

    @Test
    void scrapeConfig_loadsTheSameAlertRules() {
        assertThat(repo.yaml(SCRAPE_CONFIG).path("rule_files").toString()).isEqualTo("[\"alerts.yml\"]");
    }

    @Test
    void podMonitor_selectsMasterAndAuxPodsOnTheirMetricsPortAndTakesJobFromTheirName() {
        JsonNode monitor = repo.yaml(MONITORING + "/podmonitor.yaml");
        assertThat(monitor.path("kind").asText()).isEqualTo("PodMonitor");
        String jobLabel = monitor.path("spec").path("jobLabel").asText();
        JsonNode selector = monitor.path("spec").path("selector");
        String portName = monitor.path("spec").path("podMetricsEndpoints").path(0).path("port").asText();
        for (JsonNode workload : k8s.workloads()) {
            String name = workload.path("metadata").path("name").asText();
            Map<String, String> labels = podLabels(workload);
            boolean selected = selects(selector, labels);
            assertThat(selected).as("PodMonitor selects %s", name).isEqualTo(!name.equals("nginx"));
            if (selected) {
                assertThat(labels).as("pod labels of %s", name).containsEntry(jobLabel, name);
                JsonNode port = namedPort(workload, portName).orElseThrow(() -> new AssertionError(name + " has no port named " + portName));
                assertThat(port.path("containerPort").asText()).as("metrics port of %s", name)
                        .isEqualTo(annotations(workload).path("prometheus.io/port").asText());
            }
        }
    }

    @Test
    void prometheusRule_holdsExactlyTheGroupsOfAlertsYml() {
        JsonNode rule = repo.yaml(MONITORING + "/prometheusrule.yaml");
        assertThat(rule.path("kind").asText()).isEqualTo("PrometheusRule");
        assertThat(rule.path("spec").path("groups"))
                .as(MONITORING + "/prometheusrule.yaml is out of date: run bin/k8s-rules")
                .isEqualTo(repo.yaml("prometheus/alerts.yml").path("groups"));
    }

    // --- what Kubernetes service discovery (role: pod) would report -------------------------------

    /** One target per container port, with the meta labels Prometheus's pod discovery sets. */
    private static List<Map<String, String>> discoveredTargets(JsonNode workload, String jobName) {
        String name = workload.path("metadata").path("name").asText();
        JsonNode container = K8sManifests.container(workload);
        List<Map<String, String>> out = new ArrayList<>();
        for (JsonNode port : container.path("ports")) {
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put("job", jobName);
            labels.put("__metrics_path__", "/metrics");
            labels.put("__scheme__", "http");
            labels.put("__address__", "10.0.0.1:" + port.path("containerPort").asText());
            labels.put("__meta_kubernetes_namespace", "dcache");
            labels.put("__meta_kubernetes_pod_name", name + "-0");
            podLabels(workload).forEach((k, v) -> labels.put("__meta_kubernetes_pod_label_" + Relabeling.sanitize(k), v));
            annotations(workload).properties().forEach(a ->
                    labels.put("__meta_kubernetes_pod_annotation_" + Relabeling.sanitize(a.getKey()), a.getValue().asText()));
            labels.put("__meta_kubernetes_pod_container_name", container.path("name").asText());
            labels.put("__meta_kubernetes_pod_container_port_name", port.path("name").asText());
            labels.put("__meta_kubernetes_pod_container_port_number", port.path("containerPort").asText());
            labels.put("__meta_kubernetes_pod_container_port_protocol", port.path("protocol").asText("TCP"));
            out.add(labels);
        }
        return out;
    }

    private static Map<String, String> podLabels(JsonNode workload) {
        Map<String, String> labels = new LinkedHashMap<>(commonLabels);
        workload.path("spec").path("template").path("metadata").path("labels").properties()
                .forEach(l -> labels.put(l.getKey(), l.getValue().asText()));
        return labels;
    }

    private static JsonNode annotations(JsonNode workload) {
        return workload.path("spec").path("template").path("metadata").path("annotations");
    }

    private static Optional<JsonNode> namedPort(JsonNode workload, String name) {
        for (JsonNode port : K8sManifests.container(workload).path("ports")) {
            if (name.equals(port.path("name").asText())) {
                return Optional.of(port);
            }
        }
        return Optional.empty();
    }

    /** A label selector's matchLabels and matchExpressions (In, NotIn, Exists) against labels. */
    private static boolean selects(JsonNode selector, Map<String, String> labels) {
        for (var required : selector.path("matchLabels").properties()) {
            if (!required.getValue().asText().equals(labels.get(required.getKey()))) {
                return false;
            }
        }
        for (JsonNode e : selector.path("matchExpressions")) {
            String value = labels.get(e.path("key").asText());
            List<String> values = new ArrayList<>();
            e.path("values").forEach(v -> values.add(v.asText()));
            boolean ok = switch (e.path("operator").asText()) {
                case "In" -> value != null && values.contains(value);
                case "NotIn" -> value == null || !values.contains(value);
                case "Exists" -> value != null;
                default -> throw new AssertionError("selector operator " + e.path("operator").asText() + " is not simulated");
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
