package dev.kastor.bridge.kascfg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KasConfigTest {
    static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

    @TempDir
    Path dir;

    Path write(String yaml) throws Exception {
        Path f = dir.resolve("kas.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void defaultsAreGitLabsPortsAndTheK8sProxyPrefix() throws Exception {
        var c = KasConfig.load(write("gitlab: {url: https://gitlab.example.com}\napi_secret_key: " + KEY + "\nprivate_api_secret_key: " + KEY + "\n"));

        assertThat(c.listen().agent().address()).isEqualTo("0.0.0.0:8150");
        assertThat(c.listen().api().address()).isEqualTo("0.0.0.0:8153");
        assertThat(c.listen().k8sProxy().address()).isEqualTo("0.0.0.0:8154");
        assertThat(c.listen().privateApi().address()).isEqualTo("0.0.0.0:8155");
        assertThat(c.listen().k8sProxy().prefix()).isEqualTo("/k8s-proxy");
        assertThat(c.agentsFile()).isEqualTo(dir.resolve("agents.json").toString());
        assertThat(c.toString()).doesNotContain(KEY);
    }

    @Test
    void secretsFromFilesAndTlsPerListener() throws Exception {
        Files.writeString(dir.resolve("api.key"), KEY + "\n");
        var c = KasConfig.load(write("""
                listen:
                  agent: {address: "127.0.0.1:9150", certificate_file: /etc/tls.crt, key_file: /etc/tls.key}
                  k8s_proxy: {address: ":9154", prefix: /-/kubernetes-agent/k8s-proxy}
                gitlab: {url: https://gitlab.example.com}
                api_secret_key_file: %s
                private_api_secret_key_file: %s
                """.formatted(dir.resolve("api.key"), dir.resolve("api.key"))));

        assertThat(c.listen().agent().certificateFile()).isEqualTo("/etc/tls.crt");
        assertThat(c.listen().k8sProxy().prefix()).isEqualTo("/-/kubernetes-agent/k8s-proxy");
        assertThat(c.apiSecretKey()).isEqualTo(KEY);
    }

    @Test
    void gitlabApiTokenFileIsReadRelativeToTheConfigAndNeverShown() throws Exception {
        Files.writeString(dir.resolve("gitlab-api-token"), "glpat-kas-reads-members\n");
        var c = KasConfig.load(write("gitlab: {url: https://g, api_token_file: gitlab-api-token}\napi_secret_key: " + KEY + "\n"));

        assertThat(c.gitlab().apiTokenFile()).isEqualTo(dir.resolve("gitlab-api-token").toString());
        assertThat(c.gitlab().apiToken()).isEqualTo("glpat-kas-reads-members");
        assertThat(c.toString()).doesNotContain("glpat-kas-reads-members");
    }

    @Test
    void relativeAgentsFileAndSecretFilesAreTheConfigDirectorys() throws Exception {
        Files.writeString(dir.resolve("api.key"), KEY + "\n");
        var c = KasConfig.load(write("gitlab: {url: https://g}\nagents_file: fleet/agents.json\napi_secret_key_file: api.key\n"
                + "private_api_secret_key_file: api.key\n"));

        // KAS and 'kastor-kas agent register' run from different directories find one store
        assertThat(c.agentsFile()).isEqualTo(dir.resolve("fleet/agents.json").toString());
        assertThat(c.apiSecretKey()).isEqualTo(KEY);
        assertThat(c.privateApiSecretKey()).isEqualTo(KEY);
    }

    @Test
    void connectionsPerAddressIsTheAgentPortsOnly() throws Exception {
        var c = KasConfig.load(write("listen:\n  agent: {address: 127.0.0.1:9150, connections_per_address: 20000}\n"
                + "gitlab: {url: https://g}\napi_secret_key: " + KEY + "\n"));
        assertThat(c.listen().agent().connectionsPerAddress()).isEqualTo(20000);

        assertThatThrownBy(() -> KasConfig.load(write("listen:\n  api: {address: 127.0.0.1:9153, connections_per_address: 5}\n"
                + "gitlab: {url: https://g}\napi_secret_key: " + KEY + "\n")))
                .hasMessageContaining("listen.api.connections_per_address is not a setting: only listen.agent.connections_per_address exists");
        assertThatThrownBy(() -> KasConfig.load(write("listen:\n  agent: {address: 127.0.0.1:9150, connections_per_address: 0}\n"
                + "gitlab: {url: https://g}\napi_secret_key: " + KEY + "\n")))
                .hasMessageContaining("listen.agent.connections_per_address must be at least 1, got 0");
    }

    @Test
    void unreadableGitlabApiTokenFileIsRefusedAtStart() throws Exception {
        assertThatThrownBy(() -> KasConfig.load(write("gitlab: {url: https://g, api_token_file: missing-token}\napi_secret_key: " + KEY + "\n")))
                .hasMessageContaining("cannot read gitlab.api_token_file").hasMessageContaining("missing-token");
    }

    @Test
    void aSecretThatIsNot32BytesIsRefusedWithHowToMakeOne() throws Exception {
        String short16 = Base64.getEncoder().encodeToString(new byte[16]);
        assertThatThrownBy(() -> KasConfig.load(write("gitlab: {url: https://g}\napi_secret_key: " + short16 + "\nprivate_api_secret_key: " + KEY + "\n")))
                .hasMessageContaining("api_secret_key decodes to 16 bytes, not 32").hasMessageContaining("head -c 32 /dev/urandom | base64")
                .hasMessageNotContaining(short16);
        assertThatThrownBy(() -> KasConfig.load(write("gitlab: {url: https://g}\napi_secret_key: '%%%'\nprivate_api_secret_key: " + KEY + "\n")))
                .hasMessageContaining("api_secret_key is not valid base64");
    }

    @Test
    void aSingleNodeNeedsNoPrivateApiSecret() throws Exception {
        var c = KasConfig.load(write("gitlab: {url: https://g}\napi_secret_key: " + KEY + "\n"));

        assertThat(c.redis()).isNull();
        assertThat(c.privateApiSecretKey()).isNull();
        // given anyway, it is checked: a bad one is a mistake before it is ever needed
        assertThatThrownBy(() -> KasConfig.load(write("gitlab: {url: https://g}\napi_secret_key: " + KEY + "\nprivate_api_secret_key: c2hvcnQ=\n")))
                .hasMessageContaining("private_api_secret_key decodes to 5 bytes, not 32");
    }

    @Test
    void severalReplicasNeedThePrivateApiSecret() throws Exception {
        String replicas = "gitlab: {url: https://g}\napi_secret_key: " + KEY + "\nown_private_api_url: grpc://10.0.0.5:8155\nredis: {url: 'redis://r:6379'}\n";

        assertThatThrownBy(() -> KasConfig.load(write(replicas)))
                .hasMessageContaining("private_api_secret_key (or private_api_secret_key_file) is missing: with redis set")
                .hasMessageContaining("head -c 32 /dev/urandom | base64");
        assertThat(KasConfig.load(write(replicas + "private_api_secret_key: " + KEY + "\n")).privateApiSecretKey()).isEqualTo(KEY);
    }

    @Test
    void unknownKeysAndMissingGitLabUrlAreRefused() throws Exception {
        assertThatThrownBy(() -> KasConfig.load(write("gitlab: {url: https://g}\nlisten_typo: {}\napi_secret_key: " + KEY + "\nprivate_api_secret_key: " + KEY + "\n")))
                .hasMessageContaining("listen_typo");
        assertThatThrownBy(() -> KasConfig.load(write("api_secret_key: " + KEY + "\nprivate_api_secret_key: " + KEY + "\n")))
                .hasMessageContaining("gitlab.url is missing");
    }

    @Test
    void theAgentPortCanSpeakWebSocket() throws Exception {
        var c = KasConfig.load(write("""
                listen:
                  agent: {address: "127.0.0.1:9150", websocket: true}
                gitlab: {url: https://gitlab.example.com}
                api_secret_key: %s
                private_api_secret_key: %s
                """.formatted(KEY, KEY)));

        assertThat(c.listen().agent().isWebsocket()).isTrue();
        assertThat(c.listen().api().isWebsocket()).isFalse();
    }

    @Test
    void websocketOnAnotherListenerIsRefusedNamingTheKey() throws Exception {
        assertThatThrownBy(() -> KasConfig.load(write("""
                listen:
                  k8s_proxy: {websocket: true}
                gitlab: {url: https://gitlab.example.com}
                api_secret_key: %s
                private_api_secret_key: %s
                """.formatted(KEY, KEY)))).hasMessageContaining("listen.k8s_proxy.websocket").hasMessageContaining("listen.agent.websocket");
    }

    @Test
    void agentConfigurationDefaultsToGitLabsRepositoriesEveryFiveMinutes() throws Exception {
        var c = KasConfig.load(write("gitlab: {url: https://gitlab.example.com/}\napi_secret_key: " + KEY + "\nprivate_api_secret_key: " + KEY + "\n"));

        assertThat(c.agentConfiguration().gitUrlTemplate()).isEqualTo("https://gitlab.example.com/{project}.git");
        assertThat(c.agentConfiguration().poll()).isEqualTo(java.time.Duration.ofMinutes(5));
        assertThat(c.agentConfiguration().branch()).isNull();
        assertThat(c.ciAccessMode()).isEqualTo("gitlab");
        assertThat(c.standaloneCiAccess()).isFalse();
    }

    @Test
    void agentConfigurationSettingsAreReadAndBadOnesNamed() throws Exception {
        Files.writeString(dir.resolve("git-pass"), "s3cret\n");
        String base = "gitlab: {url: https://g}\napi_secret_key: " + KEY + "\nprivate_api_secret_key: " + KEY + "\n";
        var c = KasConfig.load(write(base + """
                ci_access_mode: standalone
                agent_configuration:
                  git_url_template: https://git.example.com/mirror/{project}.git
                  username: kas
                  password_file: %s
                  poll_period: 30s
                  branch: production
                """.formatted(dir.resolve("git-pass"))));
        assertThat(c.standaloneCiAccess()).isTrue();
        assertThat(c.agentConfiguration().poll()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(c.agentConfiguration().branch()).isEqualTo("production");
        assertThat(c.toString()).doesNotContain("s3cret");

        assertThatThrownBy(() -> KasConfig.load(write(base + "agent_configuration: {poll_period: 500ms}\n")))
                .hasMessageContaining("agent_configuration.poll_period must be at least 1s");
        assertThatThrownBy(() -> KasConfig.load(write(base + "agent_configuration: {poll_period: often}\n")))
                .hasMessageContaining("agent_configuration.poll_period must be a duration like 30s, 5m or PT5M");
        assertThat(KasConfig.load(write(base + "agent_configuration: {poll_period: PT2M}\n")).agentConfiguration().poll())
                .isEqualTo(java.time.Duration.ofMinutes(2));
        assertThatThrownBy(() -> KasConfig.load(write(base + "agent_configuration: {git_url_template: https://g/x.git}\n")))
                .hasMessageContaining("agent_configuration.git_url_template must contain {project}");
        assertThatThrownBy(() -> KasConfig.load(write(base + "agent_configuration: {username: kas}\n")))
                .hasMessageContaining("agent_configuration.username and agent_configuration.password_file go together");
        assertThatThrownBy(() -> KasConfig.load(write(base + "agent_configuration: {username: kas, password_file: /nope}\n")))
                .hasMessageContaining("cannot read agent_configuration.password_file /nope");
        assertThatThrownBy(() -> KasConfig.load(write(base + "ci_access_mode: sometimes\n")))
                .hasMessageContaining("ci_access_mode must be gitlab").hasMessageContaining("standalone");
    }

    @Test
    void redisWithoutOwnPrivateApiUrlIsRefusedNamingTheKey() throws Exception {
        var parsed = new KasConfig(null, new KasConfig.GitLab("https://g"), null, null, null, null, KEY, KEY, null, null, null, null,
                new KasConfig.Redis("redis://127.0.0.1:6379", null, null), null);
        assertThatThrownBy(() -> parsed.withDefaults(dir, java.util.Map.of()))
                .hasMessageContaining("own_private_api_url is missing").hasMessageContaining("OWN_PRIVATE_API_URL");
    }

    @Test
    void multiReplicaKeysWithDefaultsAndOwnUrlFromTheEnvironment() throws Exception {
        var parsed = new KasConfig(null, new KasConfig.GitLab("https://g"), null, null, null, null, KEY, KEY, null, null, null, null,
                new KasConfig.Redis("rediss://redis.example:6380", null, null), null);
        var c = parsed.withDefaults(dir, java.util.Map.of("OWN_PRIVATE_API_URL", "grpc://10.0.0.5:8155"));

        assertThat(c.ownPrivateApiUrl()).isEqualTo("grpc://10.0.0.5:8155");
        assertThat(c.redis().keyPrefix()).isEqualTo("kastor");
        assertThat(c.listen().privateApi().address()).isEqualTo("0.0.0.0:8155");
    }

    @Test
    void badMultiReplicaValuesAreRefusedNamingTheKey() throws Exception {
        String base = "gitlab: {url: https://g}\napi_secret_key: " + KEY + "\nprivate_api_secret_key: " + KEY + "\n";
        assertThatThrownBy(() -> KasConfig.load(write(base + "own_private_api_url: http://10.0.0.5:8155\nredis: {url: 'redis://r:6379'}\n")))
                .hasMessageContaining("own_private_api_url must be grpc://host:port");
        assertThatThrownBy(() -> KasConfig.load(write(base + "own_private_api_url: grpc://10.0.0.5:8155\nredis: {url: 'http://r:6379'}\n")))
                .hasMessageContaining("redis.url must be redis://");
        assertThatThrownBy(() -> KasConfig.load(write(base + "own_private_api_url: grpc://10.0.0.5:8155\nredis: {url: 'redis://:hunter2@r:6379'}\n")))
                .hasMessageContaining("redis.password_file").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> KasConfig.load(write(base + "own_private_api_url: grpc://10.0.0.5:8155\nredis: {url: 'redis://r:6379', password_file: /nonexistent}\n")))
                .hasMessageContaining("redis.password_file /nonexistent cannot be read");
    }

    @Test
    void certificateWithoutKeyIsRefusedNamingBothKeys() throws Exception {
        assertThatThrownBy(() -> KasConfig.load(write("""
                listen:
                  api: {certificate_file: /etc/kas/tls.crt}
                gitlab: {url: https://gitlab.example.com}
                api_secret_key: %s
                private_api_secret_key: %s
                """.formatted(KEY, KEY)))).hasMessageContaining("listen.api.certificate_file and listen.api.key_file go together");
    }

    @Test
    void privateApiCaFileIsReadAndAMissingOrWrongOneIsRefusedNamingTheKey() throws Exception {
        String base = "gitlab: {url: https://g}\napi_secret_key: " + KEY + "\nprivate_api_secret_key: " + KEY + "\n";
        Path ca = dir.resolve("ca.crt");
        Files.writeString(ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");

        var c = KasConfig.load(write(base + "listen: {private_api: {address: ':8155', ca_certificate_file: " + ca + "}}\n"));
        assertThat(c.listen().privateApi().caCertificateFile()).isEqualTo(ca.toString());
        assertThat(c.listen().privateApi().address()).isEqualTo(":8155");

        assertThatThrownBy(() -> KasConfig.load(write(base + "listen: {private_api: {ca_certificate_file: " + dir.resolve("missing.crt") + "}}\n")))
                .hasMessageContaining("cannot read listen.private_api.ca_certificate_file " + dir.resolve("missing.crt"));
        Path notPem = dir.resolve("secret.txt");
        Files.writeString(notPem, "just text\n");
        assertThatThrownBy(() -> KasConfig.load(write(base + "listen: {private_api: {ca_certificate_file: " + notPem + "}}\n")))
                .hasMessageContaining("listen.private_api.ca_certificate_file " + notPem + " holds no PEM certificate")
                .hasMessageNotContaining("just text");
        assertThatThrownBy(() -> KasConfig.load(write(base + "listen: {k8s_proxy: {ca_certificate_file: " + ca + "}}\n")))
                .hasMessageContaining("listen.k8s_proxy.ca_certificate_file is not a setting");
    }

    @Test
    void withoutAFluxSectionTheFeatureIsOff() throws Exception {
        var c = KasConfig.load(write("gitlab: {url: 'https://gitlab.example.com'}\napi_secret_key: " + KEY + "\n"));

        assertThat(c.flux()).isEqualTo(KasConfig.Flux.OFF);
        assertThat(c.flux().gitUrlPrefixes()).isEmpty();
        assertThat(c.flux().gitPoll()).isNull();
    }

    @Test
    void fluxDefaultsComeFromGitlabUrlAndPollEveryMinute() throws Exception {
        var c = KasConfig.load(write("gitlab: {url: 'https://gitlab.example.com:8443/gitlab/'}\napi_secret_key: " + KEY + "\nflux: {}\n"));

        assertThat(c.flux().gitUrlPrefixes()).containsExactly("https://gitlab.example.com:8443/gitlab/", "http://gitlab.example.com:8443/gitlab/",
                "ssh://git@gitlab.example.com/", "git@gitlab.example.com:");
        assertThat(c.flux().gitPoll()).isEqualTo(java.time.Duration.ofMinutes(1));
        assertThat(c.flux().registries()).isEmpty();
        assertThat(c.flux().webhookSecretFile()).isNull();
    }

    @Test
    void fluxSectionIsReadAndPollingCanBeTurnedOff() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "t0k3n\n");
        var c = KasConfig.load(write("""
                gitlab: {url: https://gitlab.example.com}
                api_secret_key: %s
                flux:
                  git_poll_period: "off"
                  git_url_prefixes: [https://git.example.com/]
                  registries:
                    - {host: "registry.example.com:5000", notifications_token_file: %s}
                """.formatted(KEY, token)));

        assertThat(c.flux().gitPoll()).isNull();
        assertThat(c.flux().gitUrlPrefixes()).containsExactly("https://git.example.com/");
        assertThat(c.flux().registry("REGISTRY.example.com:5000")).isPresent();
    }

    @Test
    void wrongFluxSettingsAreRefusedNamingTheKey() throws Exception {
        String head = "gitlab: {url: https://gitlab.example.com}\napi_secret_key: " + KEY + "\nflux:\n";
        assertThatThrownBy(() -> KasConfig.load(write(head + "  git_poll_period: soon\n"))).hasMessageContaining("flux.git_poll_period");
        assertThatThrownBy(() -> KasConfig.load(write(head + "  git_poll_period: 10ms\n"))).hasMessageContaining("at least 1s");
        assertThatThrownBy(() -> KasConfig.load(write(head + "  webhook_secret_file: /nonexistent/secret\n")))
                .hasMessageContaining("flux.webhook_secret_file");
        assertThatThrownBy(() -> KasConfig.load(write(head + "  git_url_prefixes: [https://gitlab.example.com]\n")))
                .hasMessageContaining("flux.git_url_prefixes");
        assertThatThrownBy(() -> KasConfig.load(write(head + "  registries: [{host: 'https://registry.example.com'}]\n")))
                .hasMessageContaining("flux.registries[].host");
        assertThatThrownBy(() -> KasConfig.load(write(head + "  registries: [{host: r.example.com}, {host: R.example.com}]\n")))
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> KasConfig.load(write(head + "  registries: [{host: r.example.com, notifications_token_file: /nonexistent}]\n")))
                .hasMessageContaining("flux.registries[r.example.com].notifications_token_file");
        assertThatThrownBy(() -> KasConfig.load(write(head + "  unknown_key: 1\n"))).hasMessageContaining("unknown_key");
    }

    @Test
    void pollingWithoutAGitServerIsRefusedUnlessTurnedOff() throws Exception {
        Files.writeString(dir.resolve("jobs.yaml"), "[]\n");
        String local = "gitlab: {local_jobs_file: jobs.yaml}\napi_secret_key: " + KEY + "\n";

        assertThat(KasConfig.load(write(local + "flux: {}\n")).flux().gitPoll()).isNull();
        assertThatThrownBy(() -> KasConfig.load(write(local + "flux: {git_poll_period: 30s}\n"))).hasMessageContaining("agent_configuration.git_url_template");
    }

    @Test
    void aListenerOnAUnixSocketTakesItsPathAndTheReplicasDialIt() throws Exception {
        var c = KasConfig.load(write("""
                listen:
                  api: {network: unix, address: sockets/api.socket}
                  private_api: {network: unix, address: /run/kastor-kas/private-api.socket}
                gitlab: {url: https://gitlab.example.com}
                api_secret_key: %s
                private_api_secret_key: %s
                own_private_api_url: unix:///run/kastor-kas/private-api.socket
                redis: {url: "redis://127.0.0.1:6379"}
                """.formatted(KEY, KEY)));

        assertThat(c.listen().api().isUnix()).isTrue();
        assertThat(c.listen().api().address()).as("relative to the config's directory").isEqualTo(dir.resolve("sockets/api.socket").toString());
        assertThat(c.listen().privateApi().isUnix()).isTrue();
        assertThat(c.listen().agent().isUnix()).isFalse();
        assertThat(c.listen().agent().network()).isEqualTo("tcp");
        assertThat(c.ownPrivateApiUrl()).isEqualTo("unix:///run/kastor-kas/private-api.socket");
    }

    @Test
    void anUnknownNetworkOrAUnixSocketWithoutPathIsRefusedNamingTheKey() throws Exception {
        String rest = "gitlab: {url: https://g}\napi_secret_key: " + KEY + "\nprivate_api_secret_key: " + KEY + "\n";
        assertThatThrownBy(() -> KasConfig.load(write("listen: {agent: {network: udp, address: ':8150'}}\n" + rest)))
                .hasMessageContaining("listen.agent.network must be tcp").hasMessageContaining("unix").hasMessageContaining("got udp");
        assertThatThrownBy(() -> KasConfig.load(write("listen: {private_api: {network: unix}}\n" + rest)))
                .hasMessageContaining("listen.private_api.address is missing").hasMessageContaining("socket file's path");
        assertThatThrownBy(() -> KasConfig.load(write("listen: {k8s_proxy: {network: unix, address: /run/k.socket}}\n" + rest)))
                .hasMessageContaining("listen.k8s_proxy is a UNIX socket").hasMessageContaining("external_k8s_proxy_url");
    }

    @Test
    void aUnixPrivateApiUrlNeedsAPlainUnixListener() throws Exception {
        String rest = "gitlab: {url: https://g}\napi_secret_key: " + KEY + "\nprivate_api_secret_key: " + KEY
                + "\nredis: {url: 'redis://127.0.0.1:6379'}\nown_private_api_url: unix:///run/p.socket\n";
        assertThatThrownBy(() -> KasConfig.load(write(rest)))
                .hasMessageContaining("own_private_api_url unix:///run/p.socket is a UNIX socket").hasMessageContaining("listen.private_api.network: unix");
        assertThatThrownBy(() -> KasConfig.load(write("listen: {private_api: {network: unix, address: /run/p.socket, certificate_file: /t.crt,"
                + " key_file: /t.key}}\n" + rest))).hasMessageContaining("dialled without TLS");
        assertThatThrownBy(() -> KasConfig.load(write(rest.replace("unix:///run/p.socket", "unix://run/p.socket"))))
                .hasMessageContaining("unix:///path.socket (three slashes)");
        assertThatThrownBy(() -> KasConfig.load(write(rest.replace("unix:///run/p.socket", "grpcs://10.0.0.5:8155?server_name=x"))))
                .hasMessageContaining("no query");
    }
}
