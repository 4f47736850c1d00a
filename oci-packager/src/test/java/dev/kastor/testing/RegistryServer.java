package dev.kastor.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real CNCF distribution registry ({@code docker-registry serve}) on a free 127.0.0.1 port with filesystem
 * storage in a temp dir. Variants: plain HTTP ({@link #start()}), htpasswd basic auth, token auth against a
 * {@link TokenRealm}, TLS with a self-signed certificate. Its log is kept in the temp dir and its tail is part of
 * every failure message of this fixture ({@link #logTail()} for tests' own messages).
 */
public final class RegistryServer implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final Process process;
    private final Path log;
    private final SelfSignedCert tls;

    private RegistryServer(Builder b) {
        Path binary = Programs.require("docker-registry", "docker-registry");
        try {
            this.dir = Files.createTempDirectory("kastor-registry");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temp dir for the registry", e);
        }
        this.port = Programs.freePort();
        this.log = dir.resolve("registry.log");
        this.tls = b.tls ? SelfSignedCert.create(dir, "registry") : null;
        var config = new StringBuilder();
        config.append("version: 0.1\n")
                .append("log:\n  level: info\n  accesslog:\n    disabled: false\n")
                .append("storage:\n  filesystem:\n    rootdirectory: ").append(dir.resolve("data")).append('\n')
                .append("  delete:\n    enabled: true\n")
                .append("http:\n  addr: 127.0.0.1:").append(port).append('\n')
                .append("  secret: kastor-test-secret\n");
        if (tls != null) {
            config.append("  tls:\n    certificate: ").append(tls.certPem()).append("\n    key: ").append(tls.keyPem()).append('\n');
        }
        if (b.notificationsUrl != null) {
            // a short backoff: a test's first event must not wait out a failed attempt for long
            config.append("notifications:\n  endpoints:\n    - name: kastor-test\n      url: ").append(b.notificationsUrl)
                    .append("\n      headers:\n        Authorization: [\"").append(b.notificationsAuthorization).append("\"]")
                    .append("\n      timeout: 2s\n      threshold: 3\n      backoff: 1s\n");
        }
        if (b.basicUser != null) {
            Path htpasswd = dir.resolve("htpasswd");
            String line = Programs.check(List.of(Programs.require("htpasswd", "apache2-utils").toString(), "-Bbn", b.basicUser, b.basicPassword), 30);
            try {
                Files.writeString(htpasswd, line.strip() + "\n");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            config.append("auth:\n  htpasswd:\n    realm: kastor-test\n    path: ").append(htpasswd).append('\n');
        } else if (b.realm != null) {
            config.append("auth:\n  token:\n    realm: ").append(b.realm.realmUrl())
                    .append("\n    service: ").append(TokenRealm.SERVICE)
                    .append("\n    issuer: ").append(TokenRealm.ISSUER)
                    .append("\n    rootcertbundle: ").append(b.realm.certificatePem()).append('\n');
        }
        Path configFile = dir.resolve("config.yml");
        try {
            Files.writeString(configFile, config);
            this.process = new ProcessBuilder(binary.toString(), "serve", configFile.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + binary + ": " + e.getMessage(), e);
        }
        awaitReady();
    }

    /** A plain-HTTP registry without auth. */
    public static RegistryServer start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options of a registry; {@link #start()} launches it. */
    public static final class Builder {
        private String basicUser;
        private String basicPassword;
        private TokenRealm realm;
        private boolean tls;
        private String notificationsUrl;
        private String notificationsAuthorization;

        private Builder() {}

        /**
         * The registry's own webhook ({@code notifications.endpoints}): it POSTs its events
         * ({@code application/vnd.docker.distribution.events.v1+json}) to {@code url} with this {@code Authorization} header.
         */
        public Builder notifications(String url, String authorization) {
            this.notificationsUrl = url;
            this.notificationsAuthorization = authorization;
            return this;
        }

        public Builder basicAuth(String user, String password) {
            this.basicUser = user;
            this.basicPassword = password;
            return this;
        }

        public Builder tokenAuth(TokenRealm tokenRealm) {
            this.realm = tokenRealm;
            return this;
        }

        public Builder tls() {
            this.tls = true;
            return this;
        }

        public RegistryServer start() {
            return new RegistryServer(this);
        }
    }

    private void awaitReady() {
        try {
            Eventually.until(Duration.ofSeconds(15), () -> "docker-registry listens on 127.0.0.1:" + port + "; its log:\n" + logTail(), this::listening);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while docker-registry started", e);
        } catch (RuntimeException | AssertionError e) {
            close();
            throw e;
        }
    }

    /** The registry listens only once its configuration is loaded: an accepted connection means ready. */
    private boolean listening() {
        if (!process.isAlive()) throw new IllegalStateException("docker-registry exited with " + process.exitValue() + " at start:\n" + logTail());
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    /** {@code 127.0.0.1:<port>}, as in an {@code oci://} reference. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public String url() {
        return (tls != null ? "https://" : "http://") + host();
    }

    /** The PEM of the self-signed TLS certificate ({@code --ca-file}); only for {@link Builder#tls()}. */
    public Path caFile() {
        if (tls == null) {
            throw new IllegalStateException("this registry serves plain HTTP: it has no CA file");
        }
        return tls.certPem();
    }

    public Path dir() {
        return dir;
    }

    /** The last 40 lines of the registry's log, to put into failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no registry log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Programs.deleteTree(dir);
    }

    @Override
    public String toString() {
        return "RegistryServer[" + url() + ", " + dir + "]";
    }
}
