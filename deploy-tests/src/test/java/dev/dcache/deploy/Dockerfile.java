package dev.dcache.deploy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The instructions of a module's Dockerfile that the consistency checks compare. */
record Dockerfile(String module, String text) {
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

    /** The port HEALTHCHECK probes when the port variable is unset ("${AUX_PORT:-9000}"). */
    int healthCheckDefaultPort() {
        Matcher m = HEALTH_PORT.matcher(text);
        if (!m.find()) {
            throw new AssertionError(module + "/Dockerfile has no HEALTHCHECK on ${..._PORT:-n}/health");
        }
        return Integer.parseInt(m.group(1));
    }
}
