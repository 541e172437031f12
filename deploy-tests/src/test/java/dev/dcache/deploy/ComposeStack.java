package dev.dcache.deploy;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.ContainerState;
import org.testcontainers.containers.DockerComposeContainer;
import org.testcontainers.containers.ExecInContainerPattern;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.lifecycle.Startable;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One Compose project of docker-compose.yml, the file as written: Testcontainers brings it up
 * and waits for every container's own health check, and takes it down again with its volumes;
 * the compose command line does what Testcontainers has no call for (build, scale, a plain
 * {@code down} and {@code up} again), with the same project name and environment; docker-java,
 * through Testcontainers' client, kills, starts, inspects and execs into single containers.
 *
 * <p>Works with either Compose: {@code docker compose} (v2, {@link ComposeContainer}) or
 * {@code docker-compose} (1.29, or v2's standalone binary; {@link DockerComposeContainer}). It
 * finds containers by their Compose labels, never by their names, which differ between the two
 * ({@code project-aux-1} against {@code project_aux_1}).
 *
 * <p>Every command-line call has a timeout and its output goes to a file under {@code logDir}, as
 * do the containers' logs when the stack is closed.
 */
final class ComposeStack implements AutoCloseable {
    /** Compose project names are this plus Testcontainers' random suffix; .ci/run cleans up by it. */
    static final String PROJECT_PREFIX = "dcachestack";
    private static final String PROJECT_LABEL = "com.docker.compose.project";
    private static final String SERVICE_LABEL = "com.docker.compose.service";

    /** The compose program and how it joins service and instance number in a container's name. */
    enum Cli {
        V2(List.of("docker", "compose"), "-"),
        V1(List.of("docker-compose"), "_");

        final List<String> command;
        final String separator;

        Cli(List<String> command, String separator) {
            this.command = command;
            this.separator = separator;
        }
    }

    private final Cli cli;
    private final File composeFile;
    private final Map<String, String> env;
    private final Path logDir;
    private final DockerClient docker;
    private Startable testcontainers;
    private String project;
    private int step;

    private ComposeStack(Cli cli, File composeFile, Map<String, String> env, Path logDir) {
        this.cli = cli;
        this.composeFile = composeFile;
        this.env = Map.copyOf(env);
        this.logDir = logDir;
        this.docker = DockerClientFactory.instance().client();
    }

    /**
     * A stack of {@code composeFile} with {@code env} on top of this process's environment.
     * Without a Docker engine or a compose program this fails, or, where the developer allowed
     * it ({@code DCACHE_DOCKER=skip} or {@code -Ddcache.docker=skip}) and not under CI, aborts
     * the test as skipped.
     */
    static ComposeStack of(File composeFile, Map<String, String> env, Path logDir) throws IOException, InterruptedException {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            unavailable("no Docker engine answers (see 'docker info'); .ci/run installs and starts one");
        }
        Cli cli = detectCli(logDir);
        if (cli == null) {
            unavailable("neither 'docker compose' nor 'docker-compose' works (apt-get install docker-compose)");
        }
        Files.createDirectories(logDir);
        return new ComposeStack(cli, composeFile, env, logDir);
    }

    private static void unavailable(String why) {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        String setting = Optional.ofNullable(System.getProperty("dcache.docker")).orElse(System.getenv("DCACHE_DOCKER"));
        if ("skip".equals(setting) && !ci) {
            System.out.println("SKIPPED: " + why + " (DCACHE_DOCKER=skip)");
            Assumptions.abort(why + " (skipping allowed by DCACHE_DOCKER=skip)");
        }
        throw new IllegalStateException(why + (ci ? "; under CI the container tests must run"
                : "; to skip the container tests on a machine without Docker, set DCACHE_DOCKER=skip"));
    }

    /** DCACHE_COMPOSE=v1|v2 chooses; otherwise v2 when the docker CLI has it, else docker-compose. */
    private static Cli detectCli(Path logDir) throws InterruptedException {
        String chosen = Optional.ofNullable(System.getProperty("dcache.compose")).orElse(System.getenv("DCACHE_COMPOSE"));
        if (chosen != null && !chosen.isBlank()) {
            return Cli.valueOf(chosen.trim().toUpperCase(java.util.Locale.ROOT));
        }
        for (Cli c : Cli.values()) {
            List<String> cmd = new ArrayList<>(c.command);
            cmd.add("version");
            if (exitsZero(cmd, logDir)) {
                return c;
            }
        }
        return null;
    }

    private static boolean exitsZero(List<String> command, Path logDir) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    Cli cli() {
        return cli;
    }

    String project() {
        return project;
    }

    /** The first line of {@code compose version}, e.g. "docker-compose version 1.29.2, build unknown". */
    String cliVersion() throws IOException, InterruptedException {
        return firstLine(run(Duration.ofSeconds(30), "version", "version"));
    }

    /** {@code compose build SERVICES}, outside any project (the images are shared by name). */
    void build(Duration timeout, String... services) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("build"));
        args.addAll(List.of(services));
        run(timeout, "build", args.toArray(String[]::new));
    }

    /**
     * {@code up -d SERVICES} through Testcontainers, then waits until {@code instances.get(s)}
     * containers of each service report healthy (their image's or the file's health check).
     */
    void up(Map<String, Integer> instances, Duration timeout) {
        String[] services = instances.keySet().toArray(String[]::new);
        String first = services[0] + cli.separator + 1;
        if (cli == Cli.V1) {
            V1 stack = new V1(PROJECT_PREFIX, composeFile).withEnv(env).withPull(false).withBuild(false)
                    .withServices(services).withStartupTimeout(timeout);
            forEachInstance(instances, name -> stack.waitingFor(name, Wait.forHealthcheck().withStartupTimeout(timeout)));
            testcontainers = stack;
            startOrFindProject(stack);
            project = projectOf(stack.getContainerByServiceName(first));
        } else {
            ComposeContainer stack = new ComposeContainer(PROJECT_PREFIX, composeFile).withEnv(env).withPull(false)
                    .withBuild(false).withServices(services).withStartupTimeout(timeout);
            forEachInstance(instances, name -> stack.waitingFor(name, Wait.forHealthcheck().withStartupTimeout(timeout)));
            testcontainers = stack;
            startOrFindProject(stack);
            project = projectOf(stack.getContainerByServiceName(first));
        }
    }

    /**
     * Starts the stack; when that fails (a container never turned healthy), notes the project
     * first, the newest one named {@link #PROJECT_PREFIX}..., so that close() can save its logs.
     */
    private void startOrFindProject(Startable stack) {
        try {
            stack.start();
        } catch (RuntimeException e) {
            project = docker.listContainersCmd().withShowAll(true).withLabelFilter(List.of(PROJECT_LABEL)).exec().stream()
                    .filter(c -> c.getLabels().get(PROJECT_LABEL).startsWith(PROJECT_PREFIX))
                    .max(Comparator.comparingLong(Container::getCreated))
                    .map(c -> c.getLabels().get(PROJECT_LABEL)).orElse(null);
            throw e;
        }
    }

    /** Calls {@code action} with the instance name of every container: "aux_1" (v1), "aux-1" (v2). */
    private void forEachInstance(Map<String, Integer> instances, java.util.function.Consumer<String> action) {
        instances.forEach((service, count) -> {
            for (int i = 1; i <= count; i++) {
                action.accept(service + cli.separator + i);
            }
        });
    }

    /** DockerComposeContainer with its self type fixed, so the fluent calls need no raw type. */
    private static final class V1 extends DockerComposeContainer<V1> {
        V1(String identifier, File composeFile) {
            super(identifier, composeFile);
        }
    }

    private static String projectOf(Optional<ContainerState> container) {
        return container.map(c -> c.getContainerInfo().getConfig().getLabels().get(PROJECT_LABEL))
                .orElseThrow(() -> new IllegalStateException("no container of the stack found after up"));
    }

    /** A compose command on this project, e.g. {@code compose("up", "-d", "--scale", "aux=4", "aux")}. */
    String compose(Duration timeout, String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("-p", project));
        all.addAll(List.of(args));
        return run(timeout, args[0], all.toArray(String[]::new));
    }

    private String run(Duration timeout, String label, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(cli.command);
        command.addAll(List.of("-f", composeFile.getAbsolutePath()));
        command.addAll(List.of(args));
        Path log = logDir.resolve(String.format("%02d-%s.log", ++step, label));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s; output in " + log);
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ":\n" + tail(out, 40));
        }
        return out;
    }

    /** The running containers of a service, lowest container number first. */
    List<Container> running(String service) {
        return docker.listContainersCmd()
                .withLabelFilter(Map.of(PROJECT_LABEL, project, SERVICE_LABEL, service))
                .withStatusFilter(List.of("running"))
                .exec().stream()
                .sorted(Comparator.comparingInt(c -> Integer.parseInt(c.getLabels().getOrDefault("com.docker.compose.container-number", "0"))))
                .toList();
    }

    InspectContainerResponse inspect(String containerId) {
        return docker.inspectContainerCmd(containerId).exec();
    }

    /** The container's health status: "healthy", "starting", "unhealthy", or its state when not running. */
    String health(String containerId) {
        InspectContainerResponse.ContainerState state = inspect(containerId).getState();
        if (!Boolean.TRUE.equals(state.getRunning())) {
            return state.getStatus();
        }
        return state.getHealth() == null ? "running" : state.getHealth().getStatus();
    }

    /** SIGKILL, as {@code docker kill}: no shutdown hook runs, nothing is flushed. */
    void kill(String containerId) {
        docker.killContainerCmd(containerId).exec();
    }

    /** {@code docker start} of a stopped container: the same container, volumes and id. */
    void start(String containerId) {
        docker.startContainerCmd(containerId).exec();
    }

    /** Runs a command in a container; the command itself must be bounded (curl --max-time). */
    org.testcontainers.containers.Container.ExecResult exec(String containerId, String... command) throws IOException, InterruptedException {
        return ExecInContainerPattern.execInContainer(docker, inspect(containerId), command);
    }

    /** The value of an environment variable as the container's main process was given it. */
    String env(String containerId, String name) throws IOException, InterruptedException {
        var r = exec(containerId, "sh", "-c", "tr '\\0' '\\n' < /proc/1/environ | sed -n 's/^" + name + "=//p'");
        return r.getStdout().trim();
    }

    /** Every container's log and final state, into logDir (the last two numbered files). */
    void saveLogs() {
        if (project == null) {
            return;
        }
        try {
            compose(Duration.ofSeconds(120), "logs", "--no-color", "--timestamps");
            StringBuilder states = new StringBuilder();
            for (Container c : docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(PROJECT_LABEL, project)).exec()) {
                states.append(c.getNames()[0]).append(' ').append(health(c.getId())).append('\n');
            }
            Files.writeString(logDir.resolve(String.format("%02d-states.log", ++step)), states.toString());
        } catch (Exception e) {
            System.out.println("could not save the containers' logs: " + e);
        }
    }

    /** {@code down -v}: containers, networks and volumes of this project. */
    @Override
    public void close() {
        saveLogs();
        if (testcontainers != null) {
            try {
                testcontainers.stop();
                return;
            } catch (RuntimeException e) {
                System.out.println("Testcontainers could not take the stack down (" + e.getMessage() + "); trying compose down -v");
            }
        }
        if (project != null) {
            try {
                compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
            } catch (Exception e) {
                System.out.println("compose down -v failed: " + e.getMessage());
            }
        }
    }

    static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static String firstLine(String text) {
        return text.lines().findFirst().orElse("").trim();
    }

}
