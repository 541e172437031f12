package dev.dcache.deploy;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Prometheus's target relabeling, the part of it a scrape config here uses: the actions
 * {@code keep}, {@code drop} and {@code replace} with {@code source_labels}, {@code separator},
 * {@code regex} (anchored at both ends, as Prometheus anchors it), {@code target_label} and
 * {@code replacement}. Enough to check offline what labels a config gives the targets it
 * discovers; an action it does not know fails the check rather than being ignored.
 */
final class Relabeling {
    private Relabeling() {
    }

    /** The labels {@code configs} leave on a target that had {@code labels}, or empty when dropped. */
    static Optional<Map<String, String>> apply(JsonNode configs, Map<String, String> labels) {
        Map<String, String> out = new LinkedHashMap<>(labels);
        for (JsonNode c : configs) {
            List<String> sources = new ArrayList<>();
            c.path("source_labels").forEach(s -> sources.add(out.getOrDefault(s.asText(), "")));
            String value = String.join(c.path("separator").asText(";"), sources);
            Matcher m = Pattern.compile("^(?:" + c.path("regex").asText("(.*)") + ")$").matcher(value);
            String action = c.path("action").asText("replace");
            switch (action) {
                case "keep" -> {
                    if (!m.matches()) {
                        return Optional.empty();
                    }
                }
                case "drop" -> {
                    if (m.matches()) {
                        return Optional.empty();
                    }
                }
                case "replace" -> {
                    if (m.matches()) {
                        String replaced = m.replaceFirst(c.path("replacement").asText("$1"));
                        if (replaced.isEmpty()) {
                            out.remove(c.path("target_label").asText());
                        } else {
                            out.put(c.path("target_label").asText(), replaced);
                        }
                    }
                }
                default -> throw new AssertionError("relabel action '" + action + "' is not simulated here");
            }
        }
        return Optional.of(out);
    }

    /** A label or annotation name as Kubernetes service discovery puts it in a meta label. */
    static String sanitize(String name) {
        return name.replaceAll("[^a-zA-Z0-9_]", "_");
    }
}
