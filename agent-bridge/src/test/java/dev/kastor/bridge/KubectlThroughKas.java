package dev.kastor.bridge;

import dev.kastor.bridge.agentapp.Agent;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * KAS (k8s proxy over HTTPS) and a connected agent in front of {@code apiServer}, and the real {@code kubectl} with
 * the GitLab-shaped KUBECONFIG of one CI job (context {@code group/project:prod}).
 */
final class KubectlThroughKas implements AutoCloseable {
    private final Path home;
    final Bridge bridge;
    final Agent agent;
    final Path kubeconfig;

    private KubectlThroughKas(Path home, Bridge bridge, Agent agent, Path kubeconfig) {
        this.home = home;
        this.bridge = bridge;
        this.agent = agent;
        this.kubeconfig = kubeconfig;
    }

    static KubectlThroughKas start(Path dir, URI apiServer, String jobToken) throws Exception {
        var cert = dev.kastor.testing.SelfSignedCert.create(dir, "kas");
        var bridge = new Bridge(dir, cert);
        try {
            var connected = bridge.connectAgent(jobToken, 31, apiServer);
            long id = connected.id();
            Agent agent = connected.agent();
            Path kubeconfig = Kubeconfigs.write(dir.resolve("kubeconfig"), bridge.proxyUrl(), cert, "group/project:prod", id, jobToken);
            return new KubectlThroughKas(dir, bridge, agent, kubeconfig);
        } catch (Exception | Error e) {
            bridge.close();
            throw e;
        }
    }

    Process kubectl(String... args) throws IOException {
        return kubectl(List.of(), args);
    }

    /** kubectl with environment variables given as name, value, name, value... */
    Process kubectl(List<String> env, String... args) throws IOException {
        var cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd);
        pb.environment().put("HOME", home.toString());
        for (int i = 0; i + 1 < env.size(); i += 2) pb.environment().put(env.get(i), env.get(i + 1));
        return pb.start();
    }

    /** kubectl on a terminal of {@code cols} x {@code rows} of its own, so that {@code -t} gets a TTY; {@code env} as name, value... */
    Terminal kubectlOnATerminal(int cols, int rows, List<String> env, String... args) throws IOException {
        var cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        var vars = new java.util.HashMap<String, String>();
        vars.put("HOME", home.toString());
        for (int i = 0; i + 1 < env.size(); i += 2) vars.put(env.get(i), env.get(i + 1));
        return Terminal.start(home, cols, rows, vars, cmd);
    }

    @Override
    public void close() {
        agent.close();
        bridge.close();
    }
}
