package dev.kastor.bridge;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.kasapp.Kas;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.registration.RegistrationDefaults;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Entry point of {@code kastor-kas}, the agent server: {@code serve}, and {@code agent register|list|revoke}. */
@Command(name = "kastor-kas", mixinStandardHelpOptions = true, versionProvider = Launch.Version.class,
        description = "Kastor's agent server (KAS): kastor-agent dials in, CI jobs reach their cluster through the k8s proxy.",
        subcommands = {KasMain.Serve.class, KasMain.AgentCommands.class})
public final class KasMain {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        return Launch.commandLine(new KasMain()).execute(args);
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Runs KAS: agent port (gRPC, or gRPC over WebSocket with listen.agent.websocket: true; 8150), API port (health, metrics, "
                    + "registered agents; 8153), k8s proxy (8154), and with redis: the private API other replicas call (8155).")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--config", required = true, description = "KAS config file (YAML), see the README, docs/agent-configuration.md and docs/multi-replica.md")
        Path config;

        @Override
        public Integer call() throws Exception {
            KasConfig c = KasConfig.load(config);
            var kas = Kas.start(c, new JsonLog(System.err, "kas"));
            var stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                kas.close();
                stop.countDown();
            }));
            stop.await();
            return 0;
        }
    }

    @Command(name = "agent", mixinStandardHelpOptions = true, description = "Registers, lists and revokes agents.",
            subcommands = {Register.class, ListAgents.class, Revoke.class})
    static final class AgentCommands {}

    abstract static class WithStore {
        @Option(names = "--config", required = true, description = "KAS config file (its agents_file is where agents live)")
        Path config;

        @Spec
        CommandSpec spec;

        AgentStore store() {
            return new AgentStore(Path.of(KasConfig.load(config).agentsFile()));
        }
    }

    @Command(name = "register", mixinStandardHelpOptions = true,
            description = "Creates an agent and prints its token once (KAS keeps only a hash: store the token in the cluster now).")
    static final class Register extends WithStore implements Callable<Integer> {
        @Option(names = "--config-project", required = true, description = "full path of the project holding .gitlab/agents/<name>/config.yaml")
        String project;

        @Option(names = "--name", required = true, description = "agent name (the folder under .gitlab/agents/)")
        String name;

        @Option(names = "--id", description = "the agent's id in GitLab, so GitLab's allowed_agents answers name it. Without --id: the highest id"
                + " in agents_file plus one, revoked agents included (1, 2, ... on a new KAS; 43 after --id 42), so no id is given twice")
        Long id;

        @Override
        public Integer call() {
            var r = store().register(project, name, id);
            System.err.println("agent " + r.agent().id() + " (" + project + ":" + name + ") registered; its token follows, shown only this once:");
            System.out.println(r.token());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists agents (never their tokens).")
    static final class ListAgents extends WithStore implements Callable<Integer> {
        @Option(names = "--api", paramLabel = "URL", description = "a running KAS's API port, e.g. http://127.0.0.1:8153: adds each agent's"
                + " newest registration (agent VERSION, KUBERNETES version, LAST SEEN, INSTANCES); needs the config's api_secret_key")
        URI api;

        @Override
        public Integer call() {
            Map<Long, JsonNode> registered = api == null ? Map.of() : registrations();
            String head = String.format("%-6s %-40s %-20s %-8s %-28s", "ID", "CONFIG PROJECT", "NAME", "STATE", "CREATED");
            System.out.println(api == null ? head.stripTrailing() : head + String.format(" %-12s %-12s %-28s %s", "VERSION", "KUBERNETES", "LAST SEEN", "INSTANCES"));
            for (var a : store().list()) {
                String row = String.format("%-6d %-40s %-20s %-8s %-28s", a.id(), a.configProject(), a.name(), a.active() ? "active" : "revoked", a.created());
                if (api != null) {
                    JsonNode instances = registered.get(a.id());
                    JsonNode newest = null;
                    if (instances != null) {
                        for (JsonNode i : instances) newest = i; // KAS lists them oldest registration first
                    }
                    row += newest == null ? String.format(" %-12s %-12s %-28s %d", "-", "-", "-", 0)
                            : String.format(" %-12s %-12s %-28s %d", newest.path("agent_version").asString("-"),
                                    newest.path("kubernetes_version").path("git_version").asString("").isEmpty() ? "unknown"
                                            : newest.path("kubernetes_version").path("git_version").asString(),
                                    newest.path("last_seen").asString("-"), instances.size());
                }
                System.out.println(row.stripTrailing());
            }
            return 0;
        }

        /** Agent id -> instances, from KAS's GET /api/v1/agents; empty (with a note on stderr) when KAS cannot be asked. */
        private Map<Long, JsonNode> registrations() {
            URI url = URI.create(api.toString().replaceAll("/+$", "") + RegistrationDefaults.AGENTS_PATH);
            try {
                var req = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + KasConfig.load(config).apiSecretKey()).build();
                var res = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(req, HttpResponse.BodyHandlers.ofString());
                if (res.statusCode() != 200) {
                    Launch.error(spec, url + " answered " + res.statusCode() + " (is --config the config of that KAS, with the same "
                            + "api_secret_key?); listing without registrations");
                    return Map.of();
                }
                var byId = new HashMap<Long, JsonNode>();
                for (JsonNode a : JsonMapper.builder().build().readTree(res.body()).path("agents")) byId.put(a.path("id").asLong(), a.path("instances"));
                return byId;
            } catch (IOException e) {
                Launch.error(spec, "cannot reach KAS at " + url + " (" + Causes.describe(e) + "); listing without registrations");
                return Map.of();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Map.of();
            }
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revokes an agent: its token stops working at once.")
    static final class Revoke extends WithStore implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "agent id (see 'agent list')")
        long id;

        @Override
        public Integer call() {
            if (!store().revoke(id)) {
                throw new IllegalArgumentException("no active agent with id " + id + " (see 'kastor-kas agent list --config " + config + "')");
            }
            System.err.println("agent " + id + " revoked");
            return 0;
        }
    }
}
