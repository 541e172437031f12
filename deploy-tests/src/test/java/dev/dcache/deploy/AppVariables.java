package dev.dcache.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The environment variables a module reads, taken from its source the way a reviewer would: every
 * {@code "NAME"} literal handed to an {@code env.*(...)} call in a {@code config} package (the one
 * place each module reads its environment), plus the few read outside Java.
 */
final class AppVariables {
    private static final Pattern ENV_CALL = Pattern.compile("\\benv\\s*\\.\\s*\\w+\\(\\s*\"([A-Z][A-Z0-9_]*)\"");

    /**
     * Read by every image, not by a config record: LOG_FORMAT by common's LogFormat, LOG_LEVEL by
     * logback.xml, JAVA_OPTS by the containers' entrypoint scripts.
     */
    static final Set<String> OUTSIDE_CONFIG = Set.of("LOG_FORMAT", "LOG_LEVEL", "JAVA_OPTS");

    private AppVariables() {
    }

    /** Names read by the module at {@code moduleDir} (e.g. "aux"), plus {@link #OUTSIDE_CONFIG}. */
    static Set<String> of(Repo repo, String moduleDir) {
        Set<String> names = new TreeSet<>(OUTSIDE_CONFIG);
        Path sources = repo.path(moduleDir + "/src/main/java");
        try (Stream<Path> files = Files.walk(sources)) {
            files.filter(f -> f.getFileName().toString().endsWith(".java"))
                    .filter(f -> f.getParent().getFileName().toString().equals("config"))
                    .forEach(f -> names.addAll(literals(read(f))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }

    static Set<String> literals(String source) {
        Set<String> found = new TreeSet<>();
        Matcher m = ENV_CALL.matcher(source);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
