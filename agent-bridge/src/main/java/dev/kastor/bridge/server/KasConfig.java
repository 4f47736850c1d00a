package dev.kastor.bridge.server;

import dev.kastor.bridge.routing.RoutingDefaults;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
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
 *   agent:     {address: 0.0.0.0:8150, certificate_file: tls.crt, key_file: tls.key}
 *   api:       {address: 0.0.0.0:8153}
 *   k8s_proxy: {address: 0.0.0.0:8154, certificate_file: tls.crt, key_file: tls.key, prefix: /k8s-proxy}
 * gitlab:
 *   url: https://gitlab.example.com
 * external_k8s_proxy_url: https://kas.example.com/k8s-proxy   # what jobs' KUBECONFIG points at
 * agents_file: /var/lib/kastor-kas/agents.json
 * api_secret_key_file: /etc/kastor-kas/api-secret          # base64 of exactly 32 bytes
 * private_api_secret_key_file: /etc/kastor-kas/private-api-secret
 * # multi-replica KAS (docs/multi-replica.md): both keys, or neither for a single node
 * own_private_api_url: grpc://10.0.0.5:8155                # default: env OWN_PRIVATE_API_URL
 * redis: {url: redis://redis:6379, password_file: /etc/kastor-kas/redis-password, key_prefix: kastor}
 * </pre>
 */
public record KasConfig(Listen listen, GitLab gitlab, String externalK8sProxyUrl, String agentsFile, String apiSecretKeyFile, String privateApiSecretKeyFile,
                        String apiSecretKey, String privateApiSecretKey, String ownPrivateApiUrl, Redis redis) {
    public record Address(String address, String certificateFile, String keyFile, String prefix) {}

    public record Listen(Address agent, Address api, Address k8sProxy, Address privateApi) {}

    public record GitLab(String url) {}

    /** Where multi-replica KAS tracks which replica holds which agent; absent on a single node. */
    public record Redis(String url, String passwordFile, String keyPrefix) {
        Redis withDefaults() {
            if (url == null || url.isBlank()) {
                throw new IllegalArgumentException("redis.url is missing in the KAS config: give redis://host:6379 (or rediss:// for TLS), or drop the redis section on a single node");
            }
            URI u;
            try {
                u = new URI(url);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("redis.url is not a URL: give redis://host:6379 (or rediss://host:6380)");
            }
            if (!("redis".equals(u.getScheme()) || "rediss".equals(u.getScheme())) || u.getHost() == null) {
                throw new IllegalArgumentException("redis.url must be redis://host:port or rediss://host:port, got scheme " + u.getScheme()
                        + (u.getHost() == null ? " and no host" : ""));
            }
            if (u.getUserInfo() != null) {
                throw new IllegalArgumentException("redis.url carries a password: put it in redis.password_file so it stays out of the config and the logs");
            }
            if (passwordFile != null && !Files.isReadable(Path.of(passwordFile))) {
                throw new IllegalArgumentException("redis.password_file " + passwordFile + " cannot be read");
            }
            String prefix = keyPrefix == null ? RoutingDefaults.KEY_PREFIX : keyPrefix;
            if (prefix.isBlank()) throw new IllegalArgumentException("redis.key_prefix must not be empty (default " + RoutingDefaults.KEY_PREFIX + ")");
            return new Redis(url, passwordFile, prefix);
        }
    }

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
        return withDefaults(base, System.getenv());
    }

    /** {@code env} gives {@code OWN_PRIVATE_API_URL} when the file does not. */
    public KasConfig withDefaults(Path base, java.util.Map<String, String> env) {
        Listen l = listen == null ? new Listen(null, null, null, null) : listen;
        Listen filled = new Listen(fill(l.agent(), DEFAULT_AGENT), fill(l.api(), DEFAULT_API), fillProxy(l.k8sProxy()),
                fill(l.privateApi(), DEFAULT_PRIVATE_API));
        if (gitlab == null || gitlab.url() == null || gitlab.url().isBlank()) {
            throw new IllegalArgumentException("gitlab.url is missing in the KAS config: KAS asks GitLab which agents a job may use");
        }
        String agents = agentsFile == null ? base.resolve("agents.json").toString() : agentsFile;
        String api = secret("api_secret_key", apiSecretKey, apiSecretKeyFile);
        String priv = secret("private_api_secret_key", privateApiSecretKey, privateApiSecretKeyFile);
        Redis r = redis == null ? null : redis.withDefaults();
        String own = ownPrivateApiUrl != null ? ownPrivateApiUrl : env.get(RoutingDefaults.OWN_PRIVATE_API_URL_ENV);
        if (own != null && own.isBlank()) own = null;
        if (r != null && own == null) {
            throw new IllegalArgumentException("own_private_api_url is missing in the KAS config (or env " + RoutingDefaults.OWN_PRIVATE_API_URL_ENV
                    + "): with redis set, each replica must say where the others reach its private API, e.g. grpc://10.0.0.5:8155 (the pod IP)");
        }
        if (own != null) checkPrivateApiUrl(own);
        return new KasConfig(filled, gitlab, externalK8sProxyUrl, agents, apiSecretKeyFile, privateApiSecretKeyFile, api, priv, own, r);
    }

    private static void checkPrivateApiUrl(String own) {
        URI u;
        try {
            u = new URI(own);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("own_private_api_url is not a URL: " + own + " (like grpc://10.0.0.5:8155)");
        }
        if (!("grpc".equals(u.getScheme()) || "grpcs".equals(u.getScheme())) || u.getHost() == null || u.getPort() < 0) {
            throw new IllegalArgumentException("own_private_api_url must be grpc://host:port or grpcs://host:port (like grpc://10.0.0.5:8155), got " + own);
        }
    }

    private static Address fill(Address a, String def) {
        if (a == null) return new Address(def, null, null, null);
        return new Address(a.address() == null ? def : a.address(), a.certificateFile(), a.keyFile(), a.prefix());
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
        return "KasConfig[listen=" + listen + ", gitlab=" + gitlab + ", agentsFile=" + agentsFile + ", ownPrivateApiUrl=" + ownPrivateApiUrl
                + ", redis=" + redis + "]";
    }
}
