package dev.dcache.deploy;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A read-only view of the parts of docker-compose.yml the consistency checks look at. */
record ComposeFile(JsonNode root) {
    private static final Pattern DEFAULTED = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*):-([^}]*)}");

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

    /** The service's build arguments ({@code build.args}), as written (before interpolation). */
    Map<String, String> buildArgs(String service) {
        Map<String, String> out = new LinkedHashMap<>();
        service(service).path("build").path("args").properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    /** The service's volumes in short syntax ("./a:/b:ro"). */
    List<String> volumes(String service) {
        List<String> out = new ArrayList<>();
        service(service).path("volumes").forEach(v -> out.add(v.asText()));
        return out;
    }

    /** {@code text} with every {@code ${NAME:-default}} replaced by its default: the value with NAME unset. */
    static String withDefaults(String text) {
        return DEFAULTED.matcher(text).replaceAll(m -> Matcher.quoteReplacement(m.group(2)));
    }

    /** {@code NAME -> default} of every {@code ${NAME:-default}} in {@code text}. */
    static Map<String, String> defaults(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = DEFAULTED.matcher(text);
        while (m.find()) {
            out.put(m.group(1), m.group(2));
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
