package dev.kastor.bridge;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.server.Kas;
import dev.kastor.bridge.server.KasConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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
            description = "Runs KAS: agent port (gRPC, 8150), API port (health, metrics, 8153), k8s proxy (8154).")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--config", required = true, description = "KAS config file (YAML), see the README and docs/agent-configuration.md")
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

        @Option(names = "--id", description = "the agent's id in GitLab, so GitLab's allowed_agents answers name it (default: next free)")
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
        @Override
        public Integer call() {
            System.out.printf("%-6s %-40s %-20s %-8s %s%n", "ID", "CONFIG PROJECT", "NAME", "STATE", "CREATED");
            for (var a : store().list()) {
                System.out.printf("%-6d %-40s %-20s %-8s %s%n", a.id(), a.configProject(), a.name(), a.active() ? "active" : "revoked", a.created());
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revokes an agent: its token stops working at once.")
    static final class Revoke extends WithStore implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "agent id (see 'agent list')")
        long id;

        @Override
        public Integer call() {
            if (!store().revoke(id)) {
                System.err.println("kastor-kas: no active agent with id " + id + " (see 'kastor-kas agent list --config …')");
                return 1;
            }
            System.err.println("agent " + id + " revoked");
            return 0;
        }
    }
}
