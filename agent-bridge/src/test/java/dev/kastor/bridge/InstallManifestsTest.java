package dev.kastor.bridge;

import static dev.kastor.bridge.InstallManifests.container;
import static dev.kastor.bridge.InstallManifests.containers;
import static dev.kastor.bridge.InstallManifests.list;
import static dev.kastor.bridge.InstallManifests.materialise;
import static dev.kastor.bridge.InstallManifests.mountHolding;
import static dev.kastor.bridge.InstallManifests.named;
import static dev.kastor.bridge.InstallManifests.ofKind;
import static dev.kastor.bridge.InstallManifests.onDisk;
import static dev.kastor.bridge.InstallManifests.render;
import static dev.kastor.bridge.InstallManifests.shell;
import static dev.kastor.bridge.InstallManifests.strings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.kubeapi.server.AccessAs;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.receptive.agent.ListenSettings;
import dev.kastor.bridge.receptive.agent.ReceptiveListener;
import dev.kastor.oci.MediaTypes;
import dev.kastor.testing.SelfSignedCert;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The install manifests under {@code templates/}, rendered by the real {@code kubectl kustomize} after the secret
 * files were made with the very commands templates/README.md gives, and checked against the programs they run:
 * container arguments parse with kastor-kas's and kastor-agent's own command lines, the kas.yaml the pod sees loads
 * with {@link KasConfig#load}, ports and probes are KAS's, an agent registered on that KAS holds the token the
 * agent's manifests mount. No API server is involved (none can run here): whether a cluster admits the objects is
 * not covered, only what they say.
 */
class InstallManifestsTest {
    /** templates/README.md, step by step (also asserted to be in the README, so the two cannot drift apart). */
    static final List<String> KAS_SECRET_COMMANDS = List.of(
            "head -c 32 /dev/urandom | base64 > api-secret",
            "head -c 32 /dev/urandom | base64 > private-api-secret",
            "openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=kas.example.com"
                    + " -addext subjectAltName=DNS:kas.example.com -keyout tls.key -out tls.crt");
    static final String REGISTER = "agent register --config /etc/kastor-kas/kas.yaml --config-project group/project --name prod --id 42";
    static final List<String> FLUX_SECRET_COMMANDS = List.of(
            "printf '{\"auths\":{\"registry.example.com\":{\"auth\":\"%s\"}}}\\n'"
                    + " \"$(printf '%s:%s' \"$DEPLOY_TOKEN_USER\" \"$DEPLOY_TOKEN\" | base64 | tr -d '\\n')\" > dockerconfig.json",
            "head -c 32 /dev/urandom | base64 | tr -d '\\n=+/' > receiver-token");
    /** templates/README.md, "Receptive agent": KAS's client CA and certificate, the agent's serving certificate. */
    static final List<String> RECEPTIVE_SECRET_COMMANDS = List.of(
            "openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj /CN=kastor-kas-client-ca -keyout kas-client-ca.key -out kas-client-ca.crt",
            "printf 'extendedKeyUsage=clientAuth\\n' > client.ext",
            "openssl req -newkey rsa:3072 -nodes -subj /CN=kastor-kas -keyout kas-client.key -out kas-client.csr",
            "openssl x509 -req -in kas-client.csr -CA kas-client-ca.crt -CAkey kas-client-ca.key -CAcreateserial -days 825"
                    + " -extfile client.ext -out kas-client.crt",
            "openssl req -x509 -newkey rsa:3072 -nodes -days 825 -subj /CN=agent.example.com"
                    + " -addext subjectAltName=DNS:agent.example.com -keyout tls.key -out tls.crt");
    static final int NON_ROOT = 65532;

    @TempDir
    Path dir;

    Path templates;

    @BeforeEach
    void copyTemplatesAndMakeTheSecretFilesAsTheReadmeSays() {
        templates = InstallManifests.copyTemplates(dir);
        KAS_SECRET_COMMANDS.forEach(c -> shell(templates.resolve("kas"), c));
        FLUX_SECRET_COMMANDS.forEach(c -> shell(templates.resolve("flux"), "export DEPLOY_TOKEN_USER=gitlab+deploy-token-7 DEPLOY_TOKEN=dt-s3cret; " + c));
    }

    @Test
    void readmeGivesTheCommandsThisTestRuns() throws Exception {
        String readme = Files.readString(InstallManifests.sourceTemplates().resolve("README.md"));
        for (String c : Stream.of(KAS_SECRET_COMMANDS, FLUX_SECRET_COMMANDS, RECEPTIVE_SECRET_COMMANDS).flatMap(List::stream).toList()) {
            assertThat(readme).as("templates/README.md gives the command").contains(c);
        }
        assertThat(readme).contains("java -jar /app/kastor-kas.jar " + REGISTER + " > templates/agent/token");
    }

    @Test
    void kasManifestsRenderAndTheirConfigLoads() throws Exception {
        List<JsonNode> kas = render(templates.resolve("kas"));
        var pc = container(kas, "Deployment", "kastor-kas");

        var parsed = new CommandLine(new KasMain()).parseArgs(strings(pc.container().path("args")).toArray(String[]::new));
        assertThat(parsed.subcommand()).as("the container runs kastor-kas serve").isNotNull();
        var serve = (KasMain.Serve) parsed.subcommand().commandSpec().userObject();

        Path root = dir.resolve("kas-pod");
        materialise(kas, pc, root);
        Path config = onDisk(root, serve.config.toString());
        assertThat(config).as("--config is a file the pod's volumes deliver").isRegularFile();
        InstallManifests.rebase(pc, root, config);
        KasConfig c = KasConfig.load(config);

        assertThat(c.gitlab().url()).startsWith("https://");
        assertThat(c.apiSecretKey()).isNotEqualTo(c.privateApiSecretKey());
        assertThat(Path.of(c.agentsFile())).as("the agents file lies on the persistent volume")
                .startsWithRaw(onDisk(root, mountPathOfVolumeKind(pc, "persistentVolumeClaim")));
        for (var tls : List.of(c.listen().agent(), c.listen().k8sProxy())) {
            assertThat(tls.certificateFile()).as("KAS serves TLS to agents and jobs").isNotNull();
            // the README's openssl pair, as the pod sees it, is one Netty's TLS server accepts
            SslContextBuilder.forServer(Path.of(tls.certificateFile()).toFile(), Path.of(tls.keyFile()).toFile()).build();
        }
        assertThat(c.externalK8sProxyUrl()).startsWith("https://").endsWith(c.listen().k8sProxy().prefix());
    }

    @Test
    void kasContainerPortsProbesAndServicesAreKasDefaults() {
        List<JsonNode> kas = render(templates.resolve("kas"));
        var pc = container(kas, "Deployment", "kastor-kas");
        Map<String, Integer> ports = ports(pc.container());

        assertThat(ports).containsExactlyInAnyOrderEntriesOf(Map.of(
                "agent", port(KasConfig.DEFAULT_AGENT), "api", port(KasConfig.DEFAULT_API),
                "k8s-proxy", port(KasConfig.DEFAULT_K8S_PROXY), "private-api", port(KasConfig.DEFAULT_PRIVATE_API)));
        assertThat(pc.container().path("livenessProbe").path("httpGet").path("path").asString()).isEqualTo("/healthz");
        assertThat(pc.container().path("readinessProbe").path("httpGet").path("path").asString()).isEqualTo("/readyz");
        for (String probe : List.of("livenessProbe", "readinessProbe")) {
            assertThat(namedPort(ports, pc.container().path(probe).path("httpGet").path("port"))).as(probe).isEqualTo(port(KasConfig.DEFAULT_API));
        }

        // OWN_PRIVATE_API_URL from the pod's own IP, declared after POD_IP (Kubernetes expands only earlier variables)
        List<JsonNode> env = list(pc.container().path("env"));
        List<String> names = env.stream().map(e -> e.path("name").asString()).toList();
        assertThat(names.indexOf("POD_IP")).isNotNegative().isLessThan(names.indexOf("OWN_PRIVATE_API_URL"));
        assertThat(env.get(names.indexOf("POD_IP")).path("valueFrom").path("fieldRef").path("fieldPath").asString()).isEqualTo("status.podIP");
        assertThat(env.get(names.indexOf("OWN_PRIVATE_API_URL")).path("value").asString())
                .isEqualTo("grpc://$(POD_IP):" + port(KasConfig.DEFAULT_PRIVATE_API));

        // agents reach the agent port, CI jobs the k8s proxy, Prometheus the API: every Service port lands on a container port
        Map<String, String> exposed = new java.util.HashMap<>();
        for (JsonNode svc : ofKind(kas, "Service")) {
            assertThat(selects(svc.path("spec").path("selector"), pc.workload())).as(svc.path("metadata").path("name").asString()).isTrue();
            for (JsonNode p : svc.path("spec").path("ports")) {
                assertThat(ports).containsKey(p.path("targetPort").asString());
                exposed.put(p.path("targetPort").asString(), svc.path("spec").path("type").asString("ClusterIP"));
            }
        }
        assertThat(exposed).containsKeys("agent", "k8s-proxy", "api").doesNotContainKey("private-api");
        assertThat(exposed.get("api")).as("health, metrics and the job API stay inside the cluster").isEqualTo("ClusterIP");
    }

    @Test
    void anAgentRegisteredOnTheRenderedKasHoldsTheTokenTheAgentManifestsMount() throws Exception {
        List<JsonNode> kas = render(templates.resolve("kas"));
        var kasPod = container(kas, "Deployment", "kastor-kas");
        Path kasRoot = dir.resolve("kas-pod");
        materialise(kas, kasPod, kasRoot);
        Path kasConfig = onDisk(kasRoot, "/etc/kastor-kas/kas.yaml");
        InstallManifests.rebase(kasPod, kasRoot, kasConfig);

        // kubectl exec deploy/kastor-kas -- java -jar /app/kastor-kas.jar <REGISTER> > templates/agent/token
        List<String> args = new ArrayList<>(List.of(REGISTER.split(" ")));
        assertThat(args.get(args.indexOf("--config") + 1)).as("the README registers against the config the pod runs with")
                .isEqualTo(strings(kasPod.container().path("args")).getLast());
        args.set(args.indexOf("--config") + 1, kasConfig.toString());
        String token = kasStdout(args.toArray(String[]::new));
        Files.writeString(templates.resolve("agent/token"), token);

        List<JsonNode> agent = render(templates.resolve("agent"));
        var agentPod = container(agent, "Deployment", "kastor-agent");
        var main = new AgentMain();
        new CommandLine(main).parseArgs(strings(agentPod.container().path("args")).toArray(String[]::new));
        Path agentRoot = dir.resolve("agent-pod");
        materialise(agent, agentPod, agentRoot);

        assertThat(main.tokenFile).as("--token-file").isNotNull();
        String mounted = Files.readString(onDisk(agentRoot, main.tokenFile.getPath())).trim();
        assertThat(mounted).isEqualTo(token.trim());
        var agentsFile = Path.of(KasConfig.load(kasConfig).agentsFile());
        assertThat(new AgentStore(agentsFile).authenticate(mounted)).get().extracting(AgentStore.Agent::id).isEqualTo(42L);
    }

    @Test
    void agentArgsParseAndDialKasOverGrpcsWithThePodsIdentity() {
        shell(templates.resolve("agent"), "echo kastor_agent_placeholder > token");
        List<JsonNode> agent = render(templates.resolve("agent"));
        var pc = container(agent, "Deployment", "kastor-agent");
        var main = new AgentMain();
        new CommandLine(main).parseArgs(strings(pc.container().path("args")).toArray(String[]::new));

        assertThat(main.kas.getScheme()).isEqualTo("grpcs");
        assertThat(main.kas.getPort()).isEqualTo(port(KasConfig.DEFAULT_AGENT));
        assertThat(mountHolding(pc, main.tokenFile.getPath())).as("the token file is on a mounted volume").isPresent();
        assertThat(pc.container().path("ports").isEmpty()).as("the agent only dials out").isTrue();
        Map<String, String> fieldRefs = new java.util.HashMap<>();
        pc.container().path("env").forEach(e -> fieldRefs.put(e.path("name").asString(), e.path("valueFrom").path("fieldRef").path("fieldPath").asString()));
        assertThat(fieldRefs).containsEntry("POD_NAME", "metadata.name").containsEntry("POD_NAMESPACE", "metadata.namespace");
        assertThat(pc.podSpec().path("serviceAccountName").asString()).isEqualTo("kastor-agent");
        assertThat(named(agent, "Namespace", "kastor-agent")).isNotNull();
    }

    @Test
    void receptiveAgentListensWithTheReadmesCertificatesAndLetsOnlyKasIn() throws Exception {
        shell(templates.resolve("agent"), "echo kastor_agent_placeholder > token");
        Path receptive = templates.resolve("agent-receptive");
        RECEPTIVE_SECRET_COMMANDS.forEach(c -> shell(receptive, c));
        List<JsonNode> objects = render(receptive);
        var pc = container(objects, "Deployment", "kastor-agent");
        var main = new AgentMain();
        new CommandLine(main).parseArgs(strings(pc.container().path("args")).toArray(String[]::new));

        assertThat(main.kas).as("receptive only: it dials nothing").isNull();
        assertThat(port(main.listen)).isEqualTo(8160);
        for (File f : List.of(main.listenCert, main.listenKey, main.listenClientCa, main.tokenFile)) {
            assertThat(mountHolding(pc, f.getPath())).as(f + " is on a mounted volume").isPresent();
        }
        JsonNode containerPort = list(pc.container().path("ports")).getFirst();
        JsonNode service = named(objects, "Service", "kastor-agent-receptive").path("spec");
        assertThat(service.path("ports").get(0).path("targetPort").asString()).isEqualTo(containerPort.path("name").asString());
        assertThat(containerPort.path("containerPort").asInt()).isEqualTo(8160);
        assertThat(service.path("selector").path("app.kubernetes.io/name").asString())
                .isEqualTo(pc.workload().path("spec").path("selector").path("matchLabels").path("app.kubernetes.io/name").asString());

        // the listener the pod would run, on the files the Secret delivers: KAS's client certificate is let in, nothing else
        Path root = dir.resolve("receptive-pod");
        materialise(objects, pc, root);
        var settings = new ListenSettings(new InetSocketAddress("127.0.0.1", 0), onDisk(root, main.listenCert.getPath()).toFile(),
                onDisk(root, main.listenKey.getPath()).toFile(), onDisk(root, main.listenClientCa.getPath()).toFile());
        try (var listener = ReceptiveListener.start(settings, JsonLog.quiet())) {
            var agentCert = new SelfSignedCert(receptive.resolve("tls.crt"), receptive.resolve("tls.key"));
            var kasClient = new SelfSignedCert(receptive.resolve("kas-client.crt"), receptive.resolve("kas-client.key"));
            assertThat(keptOpen(listener.port(), agentCert, kasClient)).as("KAS's client certificate is accepted").isTrue();
            assertThat(keptOpen(listener.port(), agentCert, null)).as("a caller without one is refused").isFalse();
        }
    }

    /**
     * Whether the receptive agent keeps a TLS connection open (it waits for its gRPC client) after a handshake that
     * trusts {@code server} for agent.example.com and presents {@code client} (none if null). With TLS 1.3 a refused
     * client certificate shows on the first read, as an alert or the end of the stream.
     */
    private static boolean keptOpen(int port, SelfSignedCert server, SelfSignedCert client) throws Exception {
        var trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("agent", server.certificate());
        var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.KeyManager[] keys = null;
        if (client != null) {
            var ks = java.security.KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("kas", client.privateKey(), new char[0], new java.security.cert.Certificate[] {client.certificate()});
            var kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, new char[0]);
            keys = kmf.getKeyManagers();
        }
        var tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(keys, tmf.getTrustManagers(), null);
        try (var socket = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port)) {
            var params = socket.getSSLParameters();
            params.setServerNames(List.of(new javax.net.ssl.SNIHostName("agent.example.com")));
            params.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(params);
            socket.setSoTimeout(1500);
            try {
                socket.startHandshake();
                return socket.getInputStream().read() >= 0;
            } catch (java.net.SocketTimeoutException waiting) {
                return true;
            } catch (java.io.IOException refused) {
                return false;
            }
        }
    }

    @Test
    void agentMayImpersonateEveryIdentityACiJobGets() throws Exception {
        shell(templates.resolve("agent"), "echo kastor_agent_placeholder > token");
        List<JsonNode> agent = render(templates.resolve("agent"));
        var pc = container(agent, "Deployment", "kastor-agent");
        String account = pc.podSpec().path("serviceAccountName").asString();
        String namespace = pc.workload().path("metadata").path("namespace").asString();

        // what KAS asks the agent to impersonate for a ci_job agent and a job in an environment
        JsonNode allowed = InstallManifests.yaml("""
                {job: {id: 7}, pipeline: {id: 6}, project: {id: 5, groups: [{id: 4}]}, user: {username: dev},
                 environment: {slug: production, tier: production}}""");
        var imp = AccessAs.of(InstallManifests.yaml("{ci_job: {}}"), 42, 3L, dev.kastor.bridge.kubeapi.server.JobFacts.of(allowed));
        List<String> needed = new ArrayList<>(List.of("/users", "/groups", "authentication.k8s.io/uids"));
        imp.getExtraMap().keySet().forEach(k -> needed.add("authentication.k8s.io/userextras/" + k));

        List<String> granted = new ArrayList<>();
        boolean clusterAdmin = false;
        for (JsonNode binding : ofKind(agent, "ClusterRoleBinding")) {
            boolean boundToAgent = list(binding.path("subjects")).stream().anyMatch(s -> s.path("kind").asString().equals("ServiceAccount")
                    && s.path("name").asString().equals(account) && s.path("namespace").asString().equals(namespace));
            if (!boundToAgent) continue;
            String role = binding.path("roleRef").path("name").asString();
            if (role.equals("cluster-admin")) {
                clusterAdmin = true;
                continue;
            }
            for (JsonNode rule : named(agent, "ClusterRole", role).path("rules")) {
                if (!strings(rule.path("verbs")).contains("impersonate")) continue;
                for (String group : strings(rule.path("apiGroups"))) {
                    for (String resource : strings(rule.path("resources"))) granted.add(group + "/" + resource);
                }
            }
        }
        assertThat(clusterAdmin).as("cluster-admin by default, as GitLab's agent chart").isTrue();
        assertThat(granted).as("impersonation survives replacing cluster-admin").containsAll(needed);
    }

    @Test
    void haOverlayRunsThreeReplicasRoutingThroughRedisAndSharingTheAgentsFile() throws Exception {
        List<JsonNode> ha = render(templates.resolve("kas-ha"));
        var pc = container(ha, "Deployment", "kastor-kas");

        assertThat(pc.workload().path("spec").path("replicas").asInt()).isEqualTo(3);
        assertThat(pc.workload().path("spec").path("strategy").path("type").asString()).isEqualTo("RollingUpdate");
        var claim = named(ha, "PersistentVolumeClaim", "kastor-kas-agents");
        assertThat(strings(claim.path("spec").path("accessModes"))).containsExactly("ReadWriteMany");

        JsonNode haConfig = InstallManifests.yaml(configOf(ha));
        URI redis = URI.create(haConfig.path("redis").path("url").asString());
        assertThat(redis.getScheme()).isEqualTo("redis");
        var service = named(ha, "Service", redis.getHost());
        assertThat(list(service.path("spec").path("ports")).stream().map(p -> p.path("port").asInt())).contains(redis.getPort());
        var redisPod = named(ha, "Deployment", redis.getHost());
        assertThat(selects(service.path("spec").path("selector"), redisPod)).as("the Service in redis.url selects the Redis pods").isTrue();
        for (JsonNode policy : ofKind(ha, "NetworkPolicy")) {
            for (JsonNode from : policy.path("spec").path("ingress")) {
                for (JsonNode peer : from.path("from")) {
                    assertThat(selects(peer.path("podSelector").path("matchLabels"), pc.workload())).as("KAS may reach Redis").isTrue();
                }
            }
        }
        // KAS loads the HA kas.yaml with the environment the pod gives it (OWN_PRIVATE_API_URL from its own IP)
        var serve = (KasMain.Serve) new CommandLine(new KasMain()).parseArgs(strings(pc.container().path("args")).toArray(String[]::new))
                .subcommand().commandSpec().userObject();
        Path root = dir.resolve("kas-ha-pod");
        materialise(ha, pc, root);
        Path config = onDisk(root, serve.config.toString());
        InstallManifests.rebase(pc, root, config);
        String ownUrl = list(pc.container().path("env")).stream().filter(e -> e.path("name").asString().equals("OWN_PRIVATE_API_URL"))
                .findFirst().orElseThrow().path("value").asString().replace("$(POD_IP)", "10.0.0.5");
        KasConfig c = KasConfig.load(config, Map.of("OWN_PRIVATE_API_URL", ownUrl));
        assertThat(c.redis().url()).isEqualTo(redis.toString());
        assertThat(c.ownPrivateApiUrl()).isEqualTo("grpc://10.0.0.5:8155");
        // the HA kas.yaml is the single-replica one plus redis:
        ObjectNode withoutRedis = (ObjectNode) haConfig.deepCopy();
        withoutRedis.remove("redis");
        assertThat(withoutRedis).isEqualTo(InstallManifests.yaml(configOf(render(templates.resolve("kas")))));
        assertThat(ha.stream().map(o -> o.path("metadata").path("namespace").asString("kastor-kas")).distinct()).containsOnly("kastor-kas");
    }

    @Test
    void everyContainerRunsAsTheNonRootImageUserOnAReadOnlyRootFilesystem() {
        shell(templates.resolve("agent"), "echo kastor_agent_placeholder > token");
        var all = new ArrayList<InstallManifests.PodContainer>();
        for (String t : List.of("kas", "kas-ha", "agent")) all.addAll(containers(render(templates.resolve(t))));
        assertThat(all).hasSizeGreaterThanOrEqualTo(4);
        for (var pc : all) {
            assertThat(pc.security("runAsNonRoot").asBoolean()).as(pc.name() + " runAsNonRoot").isTrue();
            assertThat(pc.security("runAsUser").asInt()).as(pc.name() + " runAsUser").isEqualTo(NON_ROOT);
            assertThat(pc.security("runAsGroup").asInt()).as(pc.name() + " runAsGroup").isEqualTo(NON_ROOT);
            assertThat(pc.container().path("securityContext").path("readOnlyRootFilesystem").asBoolean()).as(pc.name() + " readOnlyRootFilesystem").isTrue();
            assertThat(pc.container().path("securityContext").path("allowPrivilegeEscalation").asBoolean(true)).as(pc.name() + " allowPrivilegeEscalation").isFalse();
            assertThat(strings(pc.container().path("securityContext").path("capabilities").path("drop"))).as(pc.name() + " drops").containsExactly("ALL");
            assertThat(pc.container().path("resources").path("limits").path("memory").isMissingNode()).as(pc.name() + " memory limit").isFalse();
            assertThat(mountHolding(pc, "/tmp/x").isPresent() || pc.container().path("image").asString().startsWith("redis"))
                    .as(pc.name() + " has a writable /tmp for the JVM").isTrue();
        }
    }

    @Test
    void secretsComeOnlyFromGitIgnoredFilesTheUserMakes() throws Exception {
        Path source = InstallManifests.sourceTemplates();
        try (Stream<Path> files = Files.walk(source)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                for (JsonNode doc : InstallManifests.yamlDocuments(f)) {
                    assertThat(doc.path("kind").asString()).as(source.relativize(f) + " holds no Secret: generate it from a file").isNotEqualTo("Secret");
                }
            }
        }
        for (String t : List.of("kas", "agent", "agent-receptive", "flux")) {
            Path kustomization = source.resolve(t).resolve("kustomization.yaml");
            List<String> ignored = Files.readAllLines(source.resolve(t).resolve(".gitignore"));
            for (JsonNode gen : InstallManifests.yaml(kustomization).path("secretGenerator")) {
                assertThat(gen.has("literals") || gen.has("envs")).as(t + " secret " + gen.path("name").asString() + " from files only").isFalse();
                for (String file : strings(gen.path("files"))) {
                    String name = file.substring(file.indexOf('=') + 1);
                    assertThat(ignored).as(t + "/.gitignore keeps " + name + " out of Git").contains(name);
                    assertThat(source.resolve(t).resolve(name)).as("no secret file in the repository").doesNotExist();
                }
            }
        }
    }

    @Test
    void fluxKustomizationConsumesTheOciRepositoryKastorPushes() {
        List<JsonNode> flux = render(templates.resolve("flux"));
        JsonNode repo = ofKind(flux, "OCIRepository").getFirst();
        String repoName = repo.path("metadata").path("name").asString();
        String ns = repo.path("metadata").path("namespace").asString();

        assertThat(repo.path("apiVersion").asString()).isEqualTo("source.toolkit.fluxcd.io/v1");
        assertThat(repo.path("spec").path("layerSelector").path("mediaType").asString()).isEqualTo(MediaTypes.FLUX_CONTENT);
        assertThat(repo.path("spec").path("layerSelector").path("operation").asString()).isEqualTo("extract");
        URI url = URI.create(repo.path("spec").path("url").asString());
        assertThat(url.getScheme()).isEqualTo("oci");
        assertThat(url.getPath()).as("the tag goes into ref, not the URL").doesNotContain(":").doesNotContain("@");
        JsonNode ref = repo.path("spec").path("ref");
        assertThat(Stream.of("tag", "semver", "digest").filter(ref::has)).as("one ref").hasSize(1);

        JsonNode pull = named(flux, "Secret", repo.path("spec").path("secretRef").path("name").asString());
        assertThat(pull.path("type").asString()).isEqualTo("kubernetes.io/dockerconfigjson");
        JsonNode docker = InstallManifests.yaml(new String(
                InstallManifests.content(flux, "Secret", pull.path("metadata").path("name").asString()).get(".dockerconfigjson"), StandardCharsets.UTF_8));
        String auth = docker.path("auths").path(url.getHost()).path("auth").asString();
        assertThat(new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8)).as("credentials for the registry Flux pulls from")
                .isEqualTo("gitlab+deploy-token-7:dt-s3cret");

        for (JsonNode ks : ofKind(flux, "Kustomization")) {
            assertThat(ks.path("apiVersion").asString()).isEqualTo("kustomize.toolkit.fluxcd.io/v1");
            assertThat(ks.path("spec").path("sourceRef").path("kind").asString()).isEqualTo("OCIRepository");
            assertThat(ks.path("spec").path("sourceRef").path("name").asString()).isEqualTo(repoName);
            assertThat(ks.path("metadata").path("namespace").asString()).isEqualTo(ns);
        }
        JsonNode receiver = ofKind(flux, "Receiver").getFirst();
        assertThat(receiver.path("apiVersion").asString()).isEqualTo("notification.toolkit.fluxcd.io/v1");
        assertThat(receiver.path("spec").path("type").asString()).isEqualTo("gitlab");
        assertThat(list(receiver.path("spec").path("resources"))).anySatisfy(r -> {
            assertThat(r.path("kind").asString()).isEqualTo("OCIRepository");
            assertThat(r.path("name").asString()).isEqualTo(repoName);
        });
        var token = InstallManifests.content(flux, "Secret", receiver.path("spec").path("secretRef").path("name").asString());
        assertThat(token).containsKey("token");
        assertThat(new String(token.get("token"), StandardCharsets.UTF_8)).hasSizeGreaterThanOrEqualTo(32).doesNotContain("\n");
    }

    private String kasStdout(String... args) {
        Cli.Run run = Cli.kas(args);
        assertThat(run.exit()).as(run.err()).isZero();
        return run.out();
    }

    private static String configOf(List<JsonNode> objects) {
        return ofKind(objects, "ConfigMap").stream().filter(c -> c.path("metadata").path("name").asString().startsWith("kastor-kas-config-"))
                .findFirst().orElseThrow().path("data").path("kas.yaml").asString();
    }

    private static String mountPathOfVolumeKind(InstallManifests.PodContainer pc, String kind) {
        String volume = list(pc.podSpec().path("volumes")).stream().filter(v -> v.has(kind)).findFirst().orElseThrow().path("name").asString();
        return list(pc.container().path("volumeMounts")).stream().filter(m -> m.path("name").asString().equals(volume)).findFirst().orElseThrow()
                .path("mountPath").asString();
    }

    private static Map<String, Integer> ports(JsonNode container) {
        Map<String, Integer> ports = new java.util.HashMap<>();
        container.path("ports").forEach(p -> ports.put(p.path("name").asString(), p.path("containerPort").asInt()));
        return ports;
    }

    private static int namedPort(Map<String, Integer> ports, JsonNode port) {
        return port.isNumber() ? port.asInt() : ports.getOrDefault(port.asString(), -1);
    }

    private static int port(String hostPort) {
        return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    }

    /** Whether the label selector matches the workload's pod template labels. */
    private static boolean selects(JsonNode selector, JsonNode workload) {
        JsonNode labels = workload.path("spec").path("template").path("metadata").path("labels");
        if (selector.isEmpty()) return false;
        for (var e : selector.properties()) {
            if (!e.getValue().asString().equals(labels.path(e.getKey()).asString(null))) return false;
        }
        return true;
    }
}
