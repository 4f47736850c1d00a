package dev.kastor.bridge.kasapp;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.testing.Programs;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting KAS: a port it cannot have stops it with nothing left listening, modules' ports included. */
class KasStartTest {
    static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

    @TempDir
    Path dir;

    @Test
    void aKasThatCannotBindItsApiPortReleasesTheAgentAndK8sProxyPortsItAlreadyHeld() throws Exception {
        int agentPort = Programs.freePort();
        int k8sProxyPort = Programs.freePort();
        // the API port is bound last, after the modules (the k8s proxy among them) and the agent port
        try (var taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Path config = dir.resolve("kas.yaml");
            Files.writeString(config, """
                    listen:
                      agent: {address: "127.0.0.1:%d"}
                      api: {address: "127.0.0.1:%d"}
                      k8s_proxy: {address: "127.0.0.1:%d"}
                      private_api: {address: "127.0.0.1:0"}
                    gitlab: {url: "http://127.0.0.1:1"}
                    api_secret_key: %s
                    private_api_secret_key: %s
                    """.formatted(agentPort, taken.getLocalPort(), k8sProxyPort, KEY, KEY));

            assertThatThrownBy(() -> Kas.start(KasConfig.load(config), JsonLog.quiet())).isInstanceOf(IOException.class);

            for (int port : new int[] {agentPort, k8sProxyPort}) {
                try (var again = new ServerSocket()) {
                    again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)); // throws if KAS still held it
                }
            }
        }
    }
}
