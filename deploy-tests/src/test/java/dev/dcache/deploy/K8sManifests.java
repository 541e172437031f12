package dev.dcache.deploy;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The resources of the deploy/k8s kustomize base, read from the files its kustomization lists. */
record K8sManifests(List<JsonNode> resources) {
    static final String DIR = "deploy/k8s";

    static K8sManifests read(Repo repo) {
        JsonNode kustomization = repo.yaml(DIR + "/kustomization.yaml");
        List<JsonNode> all = new ArrayList<>();
        for (JsonNode file : kustomization.path("resources")) {
            all.addAll(repo.yamlDocuments(DIR + "/" + file.asText()));
        }
        return new K8sManifests(all);
    }

    JsonNode get(String kind, String name) {
        return resources.stream()
                .filter(r -> r.path("kind").asText().equals(kind) && r.path("metadata").path("name").asText().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError(DIR + " has no " + kind + " named '" + name + "'"));
    }

    List<JsonNode> workloads() {
        return resources.stream()
                .filter(r -> List.of("Deployment", "StatefulSet", "DaemonSet").contains(r.path("kind").asText()))
                .toList();
    }

    /** The first (only) container of a workload's pod template. */
    static JsonNode container(JsonNode workload) {
        return workload.path("spec").path("template").path("spec").path("containers").path(0);
    }

    /** Literal env values of a container; values from a Secret or field appear as "" (set, value unknown). */
    static Map<String, String> environment(JsonNode workload) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode e : container(workload).path("env")) {
            out.put(e.path("name").asText(), e.path("value").asText(""));
        }
        return out;
    }

    static List<Integer> containerPorts(JsonNode workload) {
        List<Integer> out = new ArrayList<>();
        container(workload).path("ports").forEach(p -> out.add(p.path("containerPort").asInt()));
        return out;
    }

    static List<Integer> servicePorts(JsonNode service) {
        List<Integer> out = new ArrayList<>();
        service.path("spec").path("ports").forEach(p -> out.add(p.path("port").asInt()));
        return out;
    }
}
