package dev.kastor.bridge.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * {@code kastor-kas}'s one configuration file (YAML). Every default lives here, and everything wrong with a file is
 * refused at start with a message naming the key.
 *
 * <pre>
 * listen:
 *   agent:     {address: 0.0.0.0:8150, certificate_file: tls.crt, key_file: tls.key, websocket: false}
 *   api:       {address: 0.0.0.0:8153}
 *   k8s_proxy: {address: 0.0.0.0:8154, certificate_file: tls.crt, key_file: tls.key, prefix: /k8s-proxy}
 * gitlab:
 *   url: https://gitlab.example.com
 * external_k8s_proxy_url: https://kas.example.com/k8s-proxy   # what jobs' KUBECONFIG points at
 * agents_file: /var/lib/kastor-kas/agents.json
 * api_secret_key_file: /etc/kastor-kas/api-secret          # base64 of exactly 32 bytes
 * private_api_secret_key_file: /etc/kastor-kas/private-api-secret
 * </pre>
 */
public record KasConfig(Listen listen, GitLab gitlab, String externalK8sProxyUrl, String agentsFile, String apiSecretKeyFile, String privateApiSecretKeyFile,
                        String apiSecretKey, String privateApiSecretKey) {
    /**
     * One listener. {@code websocket} (agent port only, like GitLab KAS's {@code listen_websocket}) makes the agent
     * port speak gRPC inside WebSocket (HTTP/1.1 upgrade) for proxies and load balancers that cannot pass HTTP/2.
     */
    public record Address(String address, String certificateFile, String keyFile, String prefix, Boolean websocket) {
        public Address(String address, String certificateFile, String keyFile, String prefix) {
            this(address, certificateFile, keyFile, prefix, null);
        }

        public boolean isWebsocket() {
            return Boolean.TRUE.equals(websocket);
        }
    }

    public record Listen(Address agent, Address api, Address k8sProxy, Address privateApi) {}

    public record GitLab(String url) {}

    public static final String DEFAULT_AGENT = "0.0.0.0:8150";
    public static final String DEFAULT_API = "0.0.0.0:8153";
    public static final String DEFAULT_K8S_PROXY = "0.0.0.0:8154";
    public static final String DEFAULT_PRIVATE_API = "0.0.0.0:8155";
    public static final String DEFAULT_PREFIX = "/k8s-proxy";
    public static final Duration CONFIG_POLL = Duration.ofMinutes(5);

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    public static KasConfig load(Path file) {
        KasConfig c;
        try {
            c = YAML.readValue(Files.readString(file), KasConfig.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the KAS config " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the KAS config " + file + " is not valid: " + e.getMessage(), e);
        }
        return c.withDefaults(file.toAbsolutePath().getParent());
    }

    public KasConfig withDefaults(Path base) {
        Listen l = listen == null ? new Listen(null, null, null, null) : listen;
        noWebsocket("api", l.api());
        noWebsocket("k8s_proxy", l.k8sProxy());
        noWebsocket("private_api", l.privateApi());
        Listen filled = new Listen(fill(l.agent(), DEFAULT_AGENT), fill(l.api(), DEFAULT_API), fillProxy(l.k8sProxy()),
                fill(l.privateApi(), DEFAULT_PRIVATE_API));
        if (gitlab == null || gitlab.url() == null || gitlab.url().isBlank()) {
            throw new IllegalArgumentException("gitlab.url is missing in the KAS config: KAS asks GitLab which agents a job may use");
        }
        String agents = agentsFile == null ? base.resolve("agents.json").toString() : agentsFile;
        String api = secret("api_secret_key", apiSecretKey, apiSecretKeyFile);
        String priv = secret("private_api_secret_key", privateApiSecretKey, privateApiSecretKeyFile);
        return new KasConfig(filled, gitlab, externalK8sProxyUrl, agents, apiSecretKeyFile, privateApiSecretKeyFile, api, priv);
    }

    private static Address fill(Address a, String def) {
        if (a == null) return new Address(def, null, null, null);
        return new Address(a.address() == null ? def : a.address(), a.certificateFile(), a.keyFile(), a.prefix(), a.websocket());
    }

    private static void noWebsocket(String listener, Address a) {
        if (a != null && a.websocket() != null) {
            throw new IllegalArgumentException("listen." + listener + ".websocket is not a setting: only listen.agent.websocket exists "
                    + "(agents may dial ws:// or wss://); remove it");
        }
    }

    private static Address fillProxy(Address a) {
        Address f = fill(a, DEFAULT_K8S_PROXY);
        String prefix = f.prefix() == null ? DEFAULT_PREFIX : f.prefix();
        if (!prefix.startsWith("/") || prefix.endsWith("/")) {
            throw new IllegalArgumentException("listen.k8s_proxy.prefix must start with / and not end with / (like /k8s-proxy), got " + prefix);
        }
        return new Address(f.address(), f.certificateFile(), f.keyFile(), prefix);
    }

    /** A secret is base64 of exactly 32 bytes, given inline or in a file; anything else stops KAS at start. */
    static String secret(String name, String inline, String file) {
        String value = inline;
        String where = name;
        if (value == null && file != null) {
            try {
                value = Files.readString(Path.of(file)).trim();
                where = name + "_file " + file;
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + name + "_file " + file + ": " + e.getMessage(), e);
            }
        }
        if (value == null) {
            throw new IllegalArgumentException(name + " (or " + name + "_file) is missing: generate one with 'head -c 32 /dev/urandom | base64'");
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " is not valid base64: it must be base64 of exactly 32 random bytes ('head -c 32 /dev/urandom | base64')");
        }
        if (raw.length != 32) {
            throw new IllegalArgumentException(where + " decodes to " + raw.length + " bytes, not 32: generate one with 'head -c 32 /dev/urandom | base64'");
        }
        return value.trim();
    }

    @Override
    public String toString() {
        return "KasConfig[listen=" + listen + ", gitlab=" + gitlab + ", agentsFile=" + agentsFile + "]";
    }
}
