package dev.dcache.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The deployment files must agree with the code and with each other: a variable the code does not
 * read is a setting that silently does nothing, and a port that differs between the image, Compose,
 * nginx and Kubernetes is a cluster that starts but cannot talk. Runs without Docker or a cluster:
 * it only reads files. bin/check-deploy runs the tools themselves (compose config, nginx -t, ...).
 */
class DeploymentConsistencyTest {
    /** The ports every deployment uses; the Java defaults are the same. */
    private static final int AUX_PORT = 9000;
    private static final int AUX_BINARY_PORT = 19000;
    private static final int MASTER_PORT = 8000;
    private static final int NGINX_PORT = 8080;
    private static final String MASTERS_SCRIPT = "nginx/docker/dcache-masters.sh";
    /** The Dockerfile's targets, each built by the compose service of the same name. */
    private static final List<String> NODE_KINDS = List.of("aux", "master");

    private static Repo repo;
    private static ComposeFile compose;
    private static K8sManifests k8s;
    private static Dockerfile dockerfile;
    private static Set<String> auxReads;
    private static Set<String> masterReads;

    @BeforeAll
    static void read() {
        repo = Repo.locate();
        compose = ComposeFile.read(repo);
        k8s = K8sManifests.read(repo);
        dockerfile = Dockerfile.read(repo);
        auxReads = AppVariables.of(repo, "aux");
        masterReads = AppVariables.of(repo, "master");
    }

    @Test
    void appVariables_scannedFromConfigSources_includeThePortsAndToken() {
        // guards the scan itself: a regex that matched nothing would make every check below vacuous
        assertThat(auxReads).contains("AUX_PORT", "AUX_BINARY_PORT", "AUX_ID", "AUX_DATA_DIR", "CLUSTER_TOKEN");
        assertThat(masterReads).contains("MASTER_PORT", "MASTER_ID", "AUX_DNS", "REPLICATION_FACTOR", "CLUSTER_TOKEN");
    }

    @Test
    void composeEnvironment_auxAndMaster_setOnlyVariablesTheCodeReads() {
        assertThat(compose.environment("aux").keySet()).as("aux environment in docker-compose.yml").isSubsetOf(auxReads);
        assertThat(compose.environment("master").keySet()).as("master environment in docker-compose.yml").isSubsetOf(masterReads);
    }

    @Test
    void k8sEnvironment_auxAndMaster_setOnlyVariablesTheCodeReads() {
        assertThat(K8sManifests.environment(k8s.get("StatefulSet", "aux")).keySet())
                .as("aux StatefulSet env").isSubsetOf(auxReads);
        assertThat(K8sManifests.environment(k8s.get("Deployment", "master")).keySet())
                .as("master Deployment env").isSubsetOf(masterReads);
    }

    @Test
    void nginxTemplate_everyPlaceholder_isSetByComposeAndK8s() {
        Set<String> placeholders = NginxUpstream.placeholders(repo.text(NginxUpstream.TEMPLATE));
        assertThat(placeholders).contains("NGINX_PORT", "MASTER_SERVERS");
        // envsubst leaves an unset ${NAME} in place, and nginx then fails to start. In Compose,
        // nginx/docker/dcache-masters.sh fills MASTER_SERVERS in from MASTER_DNS.
        Set<String> composeSets = new TreeSet<>(compose.environment("nginx").keySet());
        if (composeSets.contains("MASTER_DNS")) {
            composeSets.add("MASTER_SERVERS");
        }
        assertThat(composeSets).as("nginx environment in docker-compose.yml").containsAll(placeholders);
        assertThat(K8sManifests.environment(k8s.get("Deployment", "nginx")).keySet()).as("nginx Deployment env").containsAll(placeholders);
    }

    @Test
    void composeNginx_mountsTheTemplateAndTheUpstreamScriptWhereTheScriptLooks() {
        String script = repo.text(MASTERS_SCRIPT);
        assertThat(compose.volumes("nginx"))
                .contains("./nginx/templates:/etc/dcache/nginx:ro")
                .contains("./" + MASTERS_SCRIPT + ":/docker-entrypoint.d/40-dcache-masters.sh:ro");
        assertThat(script).contains("${DCACHE_NGINX_TEMPLATE:-/etc/dcache/nginx/dcache.conf.template}")
                .contains("envsubst '${NGINX_PORT} ${MASTER_SERVERS}'");
        // the official image runs only executable scripts from /docker-entrypoint.d
        assertThat(repo.path(MASTERS_SCRIPT).toFile().canExecute()).as(MASTERS_SCRIPT + " is executable").isTrue();
        // the image's own template step must not render the template a second time, unfilled
        assertThat(compose.volumes("nginx")).noneMatch(v -> v.contains(":/etc/nginx/templates"));
    }

    @Test
    void k8sNginxTemplate_isAnExactCopyOfTheSharedOne() {
        assertThat(repo.text(K8sManifests.DIR + "/nginx/dcache.conf.template"))
                .as("deploy/k8s/nginx/dcache.conf.template must equal " + NginxUpstream.TEMPLATE + " (cp it over)")
                .isEqualTo(repo.text(NginxUpstream.TEMPLATE));
    }

    @Test
    void dockerfile_eachTargetExposesAndProbesItsDefaultPorts() {
        assertThat(dockerfile.exposed("aux")).containsExactlyInAnyOrder(AUX_PORT, AUX_BINARY_PORT);
        assertThat(dockerfile.healthCheckDefaultPort("aux")).isEqualTo(AUX_PORT);
        assertThat(dockerfile.exposed("master")).containsExactly(MASTER_PORT);
        assertThat(dockerfile.healthCheckDefaultPort("master")).isEqualTo(MASTER_PORT);
    }

    @Test
    void dockerfile_eachTargetCopiesTheJarTheShadePluginWritesAndTheEntrypointThatRunsIt() {
        assertThat(dockerfile.stage("build").arguments("RUN")).contains("mvn -B -q -pl aux,master -am package -DskipTests");
        for (String module : NODE_KINDS) {
            String jar = "dcache-" + module + ".jar";
            String entrypoint = module + "/docker/entrypoint.sh";
            assertThat(repo.text(module + "/pom.xml")).as(module + " shade output").contains("${project.build.directory}/" + jar);
            assertThat(dockerfile.stage(module).arguments("COPY")).as("COPYs of target " + module)
                    .contains("--from=build /src/" + module + "/target/" + jar + " /opt/dcache/" + jar)
                    .contains(entrypoint + " /opt/dcache/entrypoint.sh");
            assertThat(dockerfile.effective(module, "ENTRYPOINT")).as("ENTRYPOINT of target " + module)
                    .isEqualTo("[\"/opt/dcache/entrypoint.sh\"]");
            assertThat(repo.text(entrypoint)).contains("-jar /opt/dcache/" + jar);
            // an exec-form ENTRYPOINT runs the file itself; COPY keeps its mode
            assertThat(repo.path(entrypoint).toFile().canExecute()).as(entrypoint + " is executable").isTrue();
        }
    }

    @Test
    void dockerfile_eachTargetRunsAsUser10001AndOwnsTheDirectoryComposeMountsItsVolumeOn() {
        for (String module : NODE_KINDS) {
            assertThat(dockerfile.effective(module, "USER")).as("USER of target " + module).isEqualTo("dcache:dcache");
            assertThat(dockerfile.inherited(module, "RUN")).as("RUNs of target " + module)
                    .anyMatch(run -> run.contains("groupadd --system --gid 10001 dcache")
                            && run.contains("useradd --system --uid 10001 --gid dcache"));
            // a fresh named volume takes the owner of the directory it is mounted on
            List<String> mountPoints = compose.volumes(module).stream()
                    .map(v -> v.split(":")[1]).toList();
            assertThat(mountPoints).as("volumes of %s in docker-compose.yml", module).isNotEmpty();
            for (String dir : mountPoints) {
                assertThat(dockerfile.stage(module).arguments("RUN")).as("RUNs of target " + module)
                        .contains("mkdir -p " + dir + " && chown dcache:dcache " + dir);
            }
        }
    }

    @Test
    void dockerfile_eachTargetSetsItsHeapShareGcAndLogFormat() {
        Map<String, String> heapShare = Map.of("aux", "70.0", "master", "75.0");
        for (String module : NODE_KINDS) {
            Map<String, String> env = dockerfile.environment(module);
            assertThat(env).as("ENV of target " + module)
                    .containsEntry("JAVA_OPTS", "-XX:MaxRAMPercentage=" + heapShare.get(module) + " -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError")
                    .containsEntry("LOG_FORMAT", "json");
        }
    }

    @Test
    void dockerfile_noTargetIsTheDefaultStage() {
        // a build without --target builds the last stage: it must fail, not yield one kind's image
        assertThat(dockerfile.last().name()).isNotIn(NODE_KINDS);
        assertThat(dockerfile.last().arguments("RUN")).anyMatch(run -> run.endsWith("exit 1"));
    }

    @Test
    void compose_buildsEachNodeKindFromItsTargetOfTheDockerfile() {
        for (String module : NODE_KINDS) {
            JsonNode build = compose.service(module).path("build");
            assertThat(build.path("context").asText()).as("build.context of " + module).isEqualTo(".");
            assertThat(build.path("dockerfile").asText()).as("build.dockerfile of " + module).isEqualTo(Dockerfile.PATH);
            assertThat(build.path("target").asText()).as("build.target of " + module).isEqualTo(module);
            assertThat(dockerfile.hasStage(module)).as(Dockerfile.PATH + " has a stage " + module).isTrue();
            assertThat(compose.service(module).path("image").asText()).isEqualTo("dcache-" + module + ":dev");
        }
    }

    @Test
    void compose_portsAgreeWithTheImagesAndEachOther() {
        Map<String, String> aux = compose.environment("aux");
        Map<String, String> master = compose.environment("master");
        assertThat(aux).containsEntry("AUX_PORT", String.valueOf(AUX_PORT))
                .containsEntry("AUX_BINARY_PORT", String.valueOf(AUX_BINARY_PORT));
        assertThat(master).containsEntry("MASTER_PORT", String.valueOf(MASTER_PORT))
                .containsEntry("AUX_DNS", "aux:" + AUX_PORT);
        assertThat(compose.environment("nginx")).containsEntry("NGINX_PORT", String.valueOf(NGINX_PORT));
        assertThat(compose.containerPorts("nginx")).containsExactly(NGINX_PORT);
        assertThat(compose.service("nginx").path("healthcheck").path("test").toString()).contains(":" + NGINX_PORT + "/health");
    }

    @Test
    void composeNginxUpstream_pointsAtTheMasterServiceAndPort() {
        String masterDns = compose.environment("nginx").get("MASTER_DNS");
        assertThat(masterDns).as("MASTER_DNS of nginx in docker-compose.yml").isNotNull();
        String host = masterDns.substring(0, masterDns.lastIndexOf(':'));
        assertThat(compose.hasService(host)).as("MASTER_DNS host '%s' is a compose service", host).isTrue();
        assertThat(host).isEqualTo("master");
        assertThat(Integer.parseInt(masterDns.substring(masterDns.lastIndexOf(':') + 1))).isEqualTo(MASTER_PORT);
    }

    @Test
    void dockerfile_bothTargetsShareOneBuildStageAndOneRuntimeStage() {
        // one stage runs Maven and builds both jars: the second image takes it from the layer cache
        assertThat(dockerfile.stages()).filteredOn(s -> s.arguments("RUN").stream().anyMatch(r -> r.startsWith("mvn ")))
                .extracting(Dockerfile.Stage::name).containsExactly("build");
        assertThat(dockerfile.stage("build").from()).isEqualTo("${BUILD_IMAGE}");
        // and one stage installs what both run on, from RUNTIME_IMAGE
        Dockerfile.Stage auxBase = dockerfile.chain("aux").getFirst();
        assertThat(dockerfile.chain("master").getFirst()).isSameAs(auxBase);
        assertThat(auxBase.from()).isEqualTo("${RUNTIME_IMAGE}");
        for (String module : NODE_KINDS) {
            assertThat(dockerfile.chain(module)).as("stages of target " + module).hasSize(2);
            assertThat(dockerfile.inherited(module, "COPY")).as("COPYs of target " + module)
                    .filteredOn(c -> c.startsWith("--from=")).allMatch(c -> c.startsWith("--from=build "));
        }
        // the dependency layer runs the reactor, which reads every module's pom
        List<String> poms = new ArrayList<>(List.of("pom.xml"));
        modules().forEach(m -> poms.add(m + "/pom.xml"));
        assertThat(dockerfile.copiedPoms("build")).containsExactlyInAnyOrderElementsOf(poms);
        // the classic builder of Engine 20.10 (and docker-compose 1.29's builds) must build it
        assertThat(dockerfile.text()).doesNotContain("# syntax=").doesNotContain("--mount=").doesNotContain("--link")
                .doesNotContain("<<");
    }

    @Test
    void baseImages_composeArgsAndDockerfileArgsHaveTheSameDefaults() {
        Map<String, String> args = dockerfile.argDefaults();
        assertThat(args).as(Dockerfile.PATH + " ARGs").containsOnlyKeys("BUILD_IMAGE", "RUNTIME_IMAGE");
        for (String module : NODE_KINDS) {
            Map<String, String> composeArgs = compose.buildArgs(module);
            assertThat(composeArgs.keySet()).as("build args of %s in docker-compose.yml", module).isEqualTo(args.keySet());
            for (Map.Entry<String, String> arg : args.entrySet()) {
                assertThat(ComposeFile.withDefaults(composeArgs.get(arg.getKey())))
                        .as("default of %s for %s in docker-compose.yml", arg.getKey(), module).isEqualTo(arg.getValue());
            }
        }
    }

    @Test
    void baseImages_pinnedAndEachHasADebianStandInExceptGrafana() {
        Map<String, String> images = ComposeFile.defaults(repo.text("docker-compose.yml"));
        images.keySet().removeIf(name -> !name.matches("DCACHE_[A-Z]+_IMAGE"));
        assertThat(images).containsOnlyKeys("DCACHE_BUILD_IMAGE", "DCACHE_RUNTIME_IMAGE", "DCACHE_NGINX_IMAGE",
                "DCACHE_PROMETHEUS_IMAGE", "DCACHE_GRAFANA_IMAGE");
        images.forEach((name, image) -> {
            // a tag with a version number in it: never latest, never a bare major version
            assertThat(image).as(name).matches("[a-z0-9./-]+:v?\\d+\\.\\d+[-._a-z0-9]*");
            String standIn = name.substring("DCACHE_".length(), name.length() - "_IMAGE".length()).toLowerCase(java.util.Locale.ROOT);
            if (!standIn.equals("grafana")) {
                assertThat(repo.exists("deploy/stand-ins/" + standIn + "/Dockerfile")).as("stand-in for %s (bin/local-images)", name).isTrue();
            }
        });
    }

    @Test
    void compose_auxPublishesNothingAndOnlyNginxIsPublicBeyondLoopback() {
        assertThat(compose.ports("aux")).isEmpty();
        assertThat(compose.ports("master")).isEmpty();
        assertThat(compose.networks("aux")).isNotEmpty()
                .allSatisfy(n -> assertThat(compose.isInternalNetwork(n)).as("aux network '%s' is internal", n).isTrue());
        for (String service : compose.root().path("services").properties().stream().map(Map.Entry::getKey).toList()) {
            if (!service.equals("nginx")) {
                assertThat(compose.ports(service)).as("ports of %s (variables unset)", service)
                        .allSatisfy(p -> assertThat(ComposeFile.withDefaults(p)).startsWith("127.0.0.1:"));
            }
        }
    }

    @Test
    void k8s_portsAgreeWithTheImagesAndEachOther() {
        JsonNode aux = k8s.get("StatefulSet", "aux");
        JsonNode auxService = k8s.get("Service", "aux");
        assertThat(aux.path("spec").path("serviceName").asText()).isEqualTo("aux");
        assertThat(auxService.path("spec").path("clusterIP").asText()).as("aux Service is headless").isEqualTo("None");
        assertThat(K8sManifests.containerPorts(aux)).containsExactlyInAnyOrder(AUX_PORT, AUX_BINARY_PORT);
        assertThat(K8sManifests.servicePorts(auxService)).containsExactlyInAnyOrder(AUX_PORT, AUX_BINARY_PORT);
        assertThat(K8sManifests.environment(aux)).containsEntry("AUX_PORT", String.valueOf(AUX_PORT))
                .containsEntry("AUX_BINARY_PORT", String.valueOf(AUX_BINARY_PORT));

        JsonNode master = k8s.get("Deployment", "master");
        assertThat(K8sManifests.containerPorts(master)).containsExactly(MASTER_PORT);
        assertThat(K8sManifests.servicePorts(k8s.get("Service", "master"))).containsExactly(MASTER_PORT);
        assertThat(K8sManifests.environment(master)).containsEntry("MASTER_PORT", String.valueOf(MASTER_PORT))
                .containsEntry("AUX_DNS", "aux:" + AUX_PORT);

        JsonNode nginx = k8s.get("Deployment", "nginx");
        assertThat(K8sManifests.containerPorts(nginx)).containsExactly(NGINX_PORT);
        assertThat(K8sManifests.servicePorts(k8s.get("Service", "nginx"))).containsExactly(NGINX_PORT);
        assertThat(K8sManifests.environment(nginx)).containsEntry("NGINX_PORT", String.valueOf(NGINX_PORT));
        List<NginxUpstream.Server> servers = NginxUpstream.servers(K8sManifests.environment(nginx).get("MASTER_SERVERS"));
        assertThat(servers).containsExactly(new NginxUpstream.Server("master", MASTER_PORT));
    }

    @Test
    void k8sWorkloads_haveProbesResourcesAndNoServiceLinks() {
        for (JsonNode workload : k8s.workloads()) {
            String name = workload.path("metadata").path("name").asText();
            JsonNode pod = workload.path("spec").path("template").path("spec");
            JsonNode container = K8sManifests.container(workload);
            // a Service named aux/master/nginx would otherwise inject AUX_PORT=tcp://... and the like
            assertThat(pod.path("enableServiceLinks").asBoolean(true)).as("%s enableServiceLinks", name).isFalse();
            assertThat(container.has("readinessProbe")).as("%s readinessProbe", name).isTrue();
            assertThat(container.has("livenessProbe")).as("%s livenessProbe", name).isTrue();
            assertThat(container.path("resources").path("requests").has("memory")).as("%s memory request", name).isTrue();
            assertThat(container.path("resources").path("limits").has("memory")).as("%s memory limit", name).isTrue();
        }
        for (String kindAndName : List.of("StatefulSet/aux", "Deployment/master")) {
            String[] k = kindAndName.split("/");
            JsonNode workload = k8s.get(k[0], k[1]);
            JsonNode annotations = workload.path("spec").path("template").path("metadata").path("annotations");
            assertThat(annotations.path("prometheus.io/scrape").asText()).as("%s scrape annotation", kindAndName).isEqualTo("true");
            assertThat(K8sManifests.containerPorts(workload)).as("%s scrape port", kindAndName)
                    .contains(annotations.path("prometheus.io/port").asInt());
            assertThat(K8sManifests.container(workload).path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/health");
        }
    }

    @Test
    void dockerignore_keepsEveryMavenModuleInTheBuildContext() {
        List<String> ignored = repo.text(".dockerignore").lines()
                .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertThat(modules()).isNotEmpty();
        // the reactor reads every module's pom, even for -pl aux
        assertThat(modules()).allSatisfy(module -> assertThat(ignored).as(".dockerignore").doesNotContain(module, module + "/", "/" + module));
    }

    private static List<String> modules() {
        List<String> modules = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<module>([^<]+)</module>").matcher(repo.text("pom.xml"));
        while (m.find()) {
            modules.add(m.group(1));
        }
        return modules;
    }

    @Test
    void prometheusScrapeTargets_nameComposeServicesOnTheirPorts() {
        assumeTrue(repo.exists("prometheus/prometheus.yml"), "prometheus/prometheus.yml is not there yet");
        Map<String, Integer> metricsPort = Map.of("aux", AUX_PORT, "master", MASTER_PORT, "prometheus", 9090);
        Set<String> scraped = new TreeSet<>();
        for (JsonNode job : repo.yaml("prometheus/prometheus.yml").path("scrape_configs")) {
            List<String> targets = new ArrayList<>();
            job.path("static_configs").forEach(c -> c.path("targets").forEach(t -> targets.add(t.asText())));
            // a scaled service needs DNS discovery: "aux" as one static target reaches one replica
            job.path("dns_sd_configs").forEach(c -> c.path("names").forEach(n -> targets.add(n.asText() + ":" + c.path("port").asInt())));
            for (String target : targets) {
                String host = target.substring(0, target.lastIndexOf(':'));
                int port = Integer.parseInt(target.substring(target.lastIndexOf(':') + 1));
                assertThat(compose.hasService(host)).as("scrape target %s names a compose service", target).isTrue();
                assertThat(metricsPort).as("scrape target %s", target).containsEntry(host, port);
                scraped.add(host);
            }
        }
        assertThat(scraped).as("scraped services").contains("aux", "master");
    }
}
