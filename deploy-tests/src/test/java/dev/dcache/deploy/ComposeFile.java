package dev.dcache.deploy;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A read-only view of the parts of docker-compose.yml the consistency checks look at. */
record ComposeFile(JsonNode root) {

    static ComposeFile read(Repo repo) {
        return new ComposeFile(repo.yaml("docker-compose.yml"));
    }

    JsonNode service(String name) {
        JsonNode s = root.path("services").path(name);
        if (s.isMissingNode()) {
            throw new AssertionError("docker-compose.yml has no service '" + name + "'");
        }
        return s;
    }

    boolean hasService(String name) {
        return root.path("services").has(name);
    }

    /** The service's environment, in either of compose's forms (map or list of NAME=value). */
    Map<String, String> environment(String service) {
        JsonNode env = service(service).path("environment");
        Map<String, String> out = new LinkedHashMap<>();
        if (env.isObject()) {
            env.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        } else if (env.isArray()) {
            for (JsonNode item : env) {
                String[] kv = item.asText().split("=", 2);
                out.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
        }
        return out;
    }

    /** The short-syntax port entries, e.g. "${DCACHE_HTTP_PORT:-8080}:8080"; long syntax as "published:target". */
    List<String> ports(String service) {
        List<String> out = new ArrayList<>();
        for (JsonNode p : service(service).path("ports")) {
            out.add(p.isObject() ? p.path("published").asText() + ":" + p.path("target").asText() : p.asText());
        }
        return out;
    }

    /** The container side of each published port. */
    List<Integer> containerPorts(String service) {
        return ports(service).stream().map(p -> Integer.parseInt(p.substring(p.lastIndexOf(':') + 1).replace("/tcp", ""))).toList();
    }

    List<String> networks(String service) {
        JsonNode n = service(service).path("networks");
        List<String> out = new ArrayList<>();
        if (n.isArray()) {
            n.forEach(x -> out.add(x.asText()));
        } else {
            n.fieldNames().forEachRemaining(out::add);
        }
        return out;
    }

    boolean isInternalNetwork(String network) {
        return root.path("networks").path(network).path("internal").asBoolean(false);
    }
}
