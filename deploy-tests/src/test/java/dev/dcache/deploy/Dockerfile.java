package dev.dcache.deploy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The repository's one Dockerfile, read into its global ARGs and its stages, with each
 * instruction as one logical line (continuations joined, comments dropped). The consistency
 * checks ask what a target ends up with: a stage inherits the configuration (USER, ENV, EXPOSE,
 * HEALTHCHECK, ENTRYPOINT, ...) of the stage it is built FROM, so those questions walk the chain.
 */
record Dockerfile(String text, Map<String, String> argDefaults, List<Stage> stages) {
    /** Where it is, relative to the repository root (also the build context). */
    static final String PATH = "Dockerfile";

    private static final Pattern ARG = Pattern.compile("ARG ([A-Z_]+)=(\\S+)");
    private static final Pattern FROM = Pattern.compile("FROM (\\S+)(?: AS (\\S+))?", Pattern.CASE_INSENSITIVE);
    private static final Pattern COPY_POM = Pattern.compile("COPY (\\S*pom\\.xml) \\S+");
    private static final Pattern HEALTH_PORT = Pattern.compile("HEALTHCHECK .*:-(\\d+)}/health.*");
    private static final Pattern ENV_PAIR = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S*)");

    /** One FROM and the instructions after it, up to the next FROM. */
    record Stage(String name, String from, List<String> instructions) {
        /** The instructions with this keyword ("COPY", "RUN", ...), their arguments only. */
        List<String> arguments(String keyword) {
            List<String> out = new ArrayList<>();
            for (String instruction : instructions) {
                if (instruction.startsWith(keyword + " ")) {
                    out.add(instruction.substring(keyword.length() + 1));
                }
            }
            return out;
        }
    }

    static Dockerfile read(Repo repo) {
        return parse(repo.text(PATH));
    }

    static Dockerfile parse(String text) {
        Map<String, String> args = new LinkedHashMap<>();
        List<Stage> stages = new ArrayList<>();
        for (String instruction : instructions(text)) {
            Matcher from = FROM.matcher(instruction);
            if (from.matches()) {
                stages.add(new Stage(from.group(2), from.group(1), new ArrayList<>()));
            } else if (stages.isEmpty()) {
                Matcher arg = ARG.matcher(instruction);
                if (arg.matches()) {
                    args.put(arg.group(1), arg.group(2));
                }
            } else {
                stages.getLast().instructions().add(instruction);
            }
        }
        if (stages.isEmpty()) {
            throw new AssertionError(PATH + " has no FROM");
        }
        return new Dockerfile(text, args, stages);
    }

    /** The logical lines: comments and blank lines dropped, "\"-continued lines joined. */
    private static List<String> instructions(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : text.lines().toList()) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && current.isEmpty())) {
                continue;
            }
            boolean continued = line.endsWith("\\");
            current.append(continued ? line.substring(0, line.length() - 1).strip() : line).append(' ');
            if (!continued) {
                out.add(current.toString().strip().replaceAll("\\s+", " "));
                current.setLength(0);
            }
        }
        return out;
    }

    Stage stage(String name) {
        return stages.stream().filter(s -> name.equals(s.name())).findFirst()
                .orElseThrow(() -> new AssertionError(PATH + " has no stage '" + name + "'"));
    }

    boolean hasStage(String name) {
        return stages.stream().anyMatch(s -> name.equals(s.name()));
    }

    /** The stage a plain {@code docker build} (no --target) builds. */
    Stage last() {
        return stages.getLast();
    }

    /** The target and the stages it is built FROM, base first; ends at an image that is no stage. */
    List<Stage> chain(String target) {
        List<Stage> out = new ArrayList<>();
        for (Stage s = stage(target); ; s = stage(s.from())) {
            out.addFirst(s);
            if (!hasStage(s.from())) {
                return out;
            }
        }
    }

    /** The arguments of every instruction with this keyword that the target has, inherited ones first. */
    List<String> inherited(String target, String keyword) {
        return chain(target).stream().flatMap(s -> s.arguments(keyword).stream()).toList();
    }

    /** The arguments of the instruction with this keyword that takes effect in the target, or null. */
    String effective(String target, String keyword) {
        List<String> all = inherited(target, keyword);
        return all.isEmpty() ? null : all.getLast();
    }

    List<Integer> exposed(String target) {
        return inherited(target, "EXPOSE").stream()
                .flatMap(ports -> Arrays.stream(ports.split(" ")))
                .map(p -> Integer.parseInt(p.replace("/tcp", "")))
                .toList();
    }

    /** The port the target's HEALTHCHECK probes when the port variable is unset ("${AUX_PORT:-9000}"). */
    int healthCheckDefaultPort(String target) {
        String healthcheck = effective(target, "HEALTHCHECK");
        Matcher m = HEALTH_PORT.matcher(healthcheck == null ? "" : "HEALTHCHECK " + healthcheck);
        if (!m.matches()) {
            throw new AssertionError(PATH + " target " + target + " has no HEALTHCHECK on ${..._PORT:-n}/health");
        }
        return Integer.parseInt(m.group(1));
    }

    /** The environment the target's image starts with (ENV NAME=value, later ones win). */
    Map<String, String> environment(String target) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String env : inherited(target, "ENV")) {
            Matcher m = ENV_PAIR.matcher(env);
            while (m.find()) {
                String value = m.group(2);
                out.put(m.group(1), value.startsWith("\"") ? value.substring(1, value.length() - 1) : value);
            }
        }
        return out;
    }

    /** The paths the stage copies one by one (COPY a b/) that are pom.xml files. */
    List<String> copiedPoms(String stage) {
        List<String> out = new ArrayList<>();
        for (String copy : stage(stage).arguments("COPY")) {
            Matcher m = COPY_POM.matcher("COPY " + copy);
            if (m.matches()) {
                out.add(m.group(1));
            }
        }
        return out;
    }
}
