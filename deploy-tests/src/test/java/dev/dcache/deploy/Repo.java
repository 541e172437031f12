package dev.dcache.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The repository the tests check, found from the {@code dcache.repo.root} system property that
 * surefire sets (or, run from an IDE, by walking up from the working directory).
 */
final class Repo {
    private static final ObjectMapper YAML = new YAMLMapper();

    private final Path root;

    private Repo(Path root) {
        this.root = root;
    }

    static Repo locate() {
        String configured = System.getProperty("dcache.repo.root");
        Path start = (configured != null ? Path.of(configured) : Path.of("")).toAbsolutePath().normalize();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("docker-compose.yml")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return new Repo(dir);
            }
        }
        throw new IllegalStateException("no repository root (pom.xml + docker-compose.yml) at or above " + start);
    }

    Path path(String relative) {
        return root.resolve(relative);
    }

    boolean exists(String relative) {
        return Files.exists(path(relative));
    }

    String text(String relative) {
        try {
            return Files.readString(path(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    JsonNode yaml(String relative) {
        try {
            return YAML.readTree(path(relative).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + relative, e);
        }
    }

    /** Every document of a multi-document YAML file, empty documents left out. */
    List<JsonNode> yamlDocuments(String relative) {
        try (var parser = new YAMLFactory().createParser(path(relative).toFile())) {
            return YAML.readValues(parser, JsonNode.class).readAll().stream()
                    .filter(d -> d != null && !d.isNull() && !d.isMissingNode())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + relative, e);
        }
    }
}
