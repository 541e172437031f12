package dev.dcache.deploy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The instructions of a module's Dockerfile that the consistency checks compare. */
record Dockerfile(String module, String text) {
    private static final Pattern ARG = Pattern.compile("^ARG ([A-Z_]+)=(\\S+)$");
    private static final Pattern COPY_POM = Pattern.compile("^COPY (\\S*pom\\.xml) \\S+$");
    private static final Pattern HEALTH_PORT = Pattern.compile("HEALTHCHECK[\\s\\S]*?:-(\\d+)}/health");

    static Dockerfile of(Repo repo, String module) {
        return new Dockerfile(module, repo.text(module + "/Dockerfile"));
    }

    List<Integer> exposed() {
        List<Integer> out = new ArrayList<>();
        for (String line : text.lines().toList()) {
            if (line.startsWith("EXPOSE ")) {
                Arrays.stream(line.substring(7).trim().split("\\s+"))
                        .map(p -> Integer.parseInt(p.replace("/tcp", "")))
                        .forEach(out::add);
            }
        }
        return out;
    }

    /** {@code ARG NAME=default} lines: the build arguments and their defaults. */
    Map<String, String> argDefaults() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.lines().toList()) {
            Matcher m = ARG.matcher(line);
            if (m.matches()) {
                out.put(m.group(1), m.group(2));
            }
        }
        return out;
    }

    /** The build stage: from the first ARG to the line before the runtime stage's FROM. */
    String buildStage() {
        int from = text.indexOf("\nARG ");
        int runtime = text.indexOf("\nFROM ", text.indexOf(" AS build"));
        if (from < 0 || runtime < 0) {
            throw new AssertionError(module + "/Dockerfile has no ARG ... FROM ... AS build ... FROM");
        }
        return text.substring(from, runtime);
    }

    /** The paths the build stage copies one by one before the dependency download (COPY a b/). */
    List<String> copiedPoms() {
        List<String> out = new ArrayList<>();
        for (String line : buildStage().lines().toList()) {
            Matcher m = COPY_POM.matcher(line);
            if (m.matches()) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    /** The port HEALTHCHECK probes when the port variable is unset ("${AUX_PORT:-9000}"). */
    int healthCheckDefaultPort() {
        Matcher m = HEALTH_PORT.matcher(text);
        if (!m.find()) {
            throw new AssertionError(module + "/Dockerfile has no HEALTHCHECK on ${..._PORT:-n}/health");
        }
        return Integer.parseInt(m.group(1));
    }
}
