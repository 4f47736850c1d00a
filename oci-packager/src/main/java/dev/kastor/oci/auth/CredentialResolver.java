package dev.kastor.oci.auth;

import dev.kastor.oci.Causes;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.KastorException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Finds the credentials for a registry host the way a GitLab job user expects, first match wins:
 * <ol>
 *   <li>explicit {@code --creds};</li>
 *   <li>{@code CI_REGISTRY_USER}/{@code CI_REGISTRY_PASSWORD} when the host is {@code CI_REGISTRY} (GitLab's own registry);</li>
 *   <li>{@code DOCKER_AUTH_CONFIG} (config.json content in a variable, GitLab's documented way for other registries);</li>
 *   <li>{@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}, including {@code credHelpers}/{@code credsStore};</li>
 *   <li>anonymous.</li>
 * </ol>
 * Environment, home directory and the helper search path are inputs, so nothing depends on the process by accident.
 */
public final class CredentialResolver {
    private static final long HELPER_TIMEOUT_SECONDS = 30;

    private final Map<String, String> env;
    private final Path home;
    private final List<Path> helperPath;

    /**
     * @param env environment variables (usually {@code System.getenv()})
     * @param home home directory (for {@code ~/.docker/config.json})
     * @param helperPath directories searched for {@code docker-credential-<helper>} (usually {@code PATH})
     */
    public CredentialResolver(Map<String, String> env, Path home, List<Path> helperPath) {
        this.env = Map.copyOf(env);
        this.home = home;
        this.helperPath = List.copyOf(helperPath);
    }

    /** A resolver over this process: {@code System.getenv()}, {@code user.home}, {@code PATH}. */
    public static CredentialResolver ofProcess() {
        Map<String, String> env = System.getenv();
        String path = env.getOrDefault("PATH", "");
        List<Path> dirs = path.isEmpty() ? List.of()
                : Arrays.stream(path.split(File.pathSeparator)).filter(s -> !s.isEmpty()).map(Path::of).toList();
        return new CredentialResolver(env, Path.of(System.getProperty("user.home")), dirs);
    }

    /**
     * @param host registry host with port, as in a {@code Reference}
     * @param explicit credentials from {@code --creds}, or {@code null}
     */
    public ResolvedCredentials resolve(String host, Credentials explicit) {
        if (explicit != null) {
            return ResolvedCredentials.explicit(explicit);
        }
        String ciRegistry = env.get("CI_REGISTRY");
        String ciUser = env.get("CI_REGISTRY_USER");
        String ciPassword = env.get("CI_REGISTRY_PASSWORD");
        if (ciRegistry != null && sameHost(ciRegistry, host) && notEmpty(ciUser) && ciPassword != null) {
            return new ResolvedCredentials(new Credentials(ciUser, ciPassword), "CI_REGISTRY_USER");
        }
        String authConfig = env.get("DOCKER_AUTH_CONFIG");
        if (notEmpty(authConfig)) {
            Credentials found = fromDockerConfig(parse(authConfig, "DOCKER_AUTH_CONFIG"), host, "DOCKER_AUTH_CONFIG");
            if (found != null) {
                return new ResolvedCredentials(found, "DOCKER_AUTH_CONFIG");
            }
        }
        String dockerConfigDir = env.get("DOCKER_CONFIG");
        Path configFile = notEmpty(dockerConfigDir) ? Path.of(dockerConfigDir, "config.json") : home.resolve(".docker/config.json");
        String label = notEmpty(dockerConfigDir) ? "$DOCKER_CONFIG/config.json" : "~/.docker/config.json";
        if (Files.isRegularFile(configFile)) {
            String content;
            try {
                content = Files.readString(configFile, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new InvalidInputException("cannot read Docker config " + configFile + ": " + Causes.describe(e), e);
            }
            JsonNode config = parse(content, configFile.toString());
            String helper = helperFor(config, host);
            if (helper != null) {
                Credentials fromHelper = runHelper(helper, host);
                if (fromHelper != null) {
                    return new ResolvedCredentials(fromHelper, "docker-credential-" + helper + " (" + label + ")");
                }
            }
            Credentials found = fromDockerConfig(config, host, label);
            if (found != null) {
                return new ResolvedCredentials(found, label);
            }
        }
        return ResolvedCredentials.anonymous(missingHint(host, ciRegistry, ciUser, ciPassword));
    }

    /**
     * Why no credentials apply to {@code host}, when the environment says more than "none given": GitLab's registry
     * variables are there but for another host (a job pushing to a registry other than the project's), or without
     * the host they are for. Names variables and hosts, never a value of a secret.
     */
    private static String missingHint(String host, String ciRegistry, String ciUser, String ciPassword) {
        String elsewhere = "give credentials for " + host + " with --creds USER:PASSWORD (better: a masked CI/CD variable KASTOR_CREDS),"
                + " DOCKER_AUTH_CONFIG ({\"auths\":{\"" + host + "\":{\"auth\":\"<base64 of user:password>\"}}}) or ~/.docker/config.json";
        if (!notEmpty(ciUser)) {
            return ResolvedCredentials.DEFAULT_MISSING_HINT;
        }
        if (!notEmpty(ciRegistry)) {
            return "no credentials for this host: CI_REGISTRY_USER/CI_REGISTRY_PASSWORD are set but CI_REGISTRY, the host they are for, is not:"
                    + " set CI_REGISTRY=" + host + " if they are for this registry, else " + elsewhere;
        }
        if (!sameHost(ciRegistry, host)) {
            return "no credentials for this host: CI_REGISTRY_USER/CI_REGISTRY_PASSWORD are for $CI_REGISTRY (" + ciRegistry + "), and "
                    + host + " is another host: " + elsewhere;
        }
        return ciPassword == null
                ? "no credentials for this host: CI_REGISTRY_USER is set for it but CI_REGISTRY_PASSWORD is not"
                : ResolvedCredentials.DEFAULT_MISSING_HINT;
    }

    private static JsonNode parse(String content, String where) {
        try {
            return Json.MAPPER.readTree(content);
        } catch (JacksonException e) {
            // Jackson's message may quote the content, which holds secrets: say only where it failed.
            throw new InvalidInputException(where + " is not valid JSON (expected the Docker config.json shape"
                    + " {\"auths\":{\"<host>\":{\"auth\":\"<base64 user:password>\"}}})"
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + " column " + e.getLocation().getColumnNr()));
        }
    }

    private static Credentials fromDockerConfig(JsonNode config, String host, String where) {
        JsonNode auths = config.path("auths");
        if (!auths.isObject()) {
            return null;
        }
        for (var entry : auths.properties()) {
            if (!sameHost(entry.getKey(), host)) {
                continue;
            }
            JsonNode value = entry.getValue();
            String auth = value.path("auth").asString("");
            if (!auth.isEmpty()) {
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new InvalidInputException(where + ": auths." + entry.getKey() + ".auth is not base64 of user:password");
                }
                int colon = decoded.indexOf(':');
                if (colon <= 0) {
                    throw new InvalidInputException(where + ": auths." + entry.getKey() + ".auth does not decode to user:password");
                }
                return new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1));
            }
            String user = value.path("username").asString("");
            String password = value.path("password").asString("");
            if (!user.isEmpty()) {
                return new Credentials(user, password);
            }
        }
        return null;
    }

    private static String helperFor(JsonNode config, String host) {
        JsonNode helpers = config.path("credHelpers");
        if (helpers.isObject()) {
            for (var entry : helpers.properties()) {
                if (sameHost(entry.getKey(), host) && !entry.getValue().asString("").isEmpty()) {
                    return entry.getValue().asString();
                }
            }
        }
        String store = config.path("credsStore").asString("");
        return store.isEmpty() ? null : store;
    }

    /** The docker-credential-helpers protocol: host on stdin, JSON {@code {"Username","Secret"}} on stdout. */
    private Credentials runHelper(String helper, String host) {
        String binary = "docker-credential-" + helper;
        Path executable = helperPath.stream().map(dir -> dir.resolve(binary)).filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new InvalidInputException("the Docker config names credential helper '" + helper + "' for " + host
                        + " but " + binary + " is not on the PATH (" + helperPath + "): install it, or remove credHelpers/credsStore"
                        + " from the Docker config and give credentials with --creds or DOCKER_AUTH_CONFIG"));
        try {
            Process process = new ProcessBuilder(executable.toString(), "get").redirectErrorStream(false).start();
            try (var stdin = process.getOutputStream()) {
                stdin.write(host.getBytes(StandardCharsets.UTF_8));
            }
            byte[] out = process.getInputStream().readAllBytes();
            byte[] err = process.getErrorStream().readAllBytes();
            if (!process.waitFor(HELPER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new KastorException(binary + " get did not answer within " + HELPER_TIMEOUT_SECONDS + " s");
            }
            String stdout = new String(out, StandardCharsets.UTF_8).trim();
            if (process.exitValue() != 0) {
                // "credentials not found" is how helpers say they know nothing about this host: fall through.
                String combined = (stdout + " " + new String(err, StandardCharsets.UTF_8)).toLowerCase(Locale.ROOT);
                if (combined.contains("credentials not found")) {
                    return null;
                }
                throw new KastorException(binary + " get failed for " + host + " (exit " + process.exitValue() + ")");
            }
            JsonNode answer;
            try {
                answer = Json.MAPPER.readTree(stdout);
            } catch (JacksonException e) {
                throw new KastorException(binary + " get answered something that is not the helper protocol's JSON");
            }
            String user = answer.path("Username").asString("");
            String secret = answer.path("Secret").asString("");
            if (secret.isEmpty()) {
                return null;
            }
            // Identity tokens come back with user <token>; registries then expect it as a refresh token, which the
            // basic/bearer flow of our transport cannot use: treat it as a password, which GitLab and Harbor accept.
            return new Credentials(user.isEmpty() ? "<token>" : user, secret);
        } catch (IOException e) {
            throw new KastorException("cannot run " + executable + ": " + Causes.describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KastorException("interrupted while running " + binary);
        }
    }

    /** Docker config keys may be {@code host}, {@code https://host}, {@code https://host/v1/} …; compare host[:port]. */
    static boolean sameHost(String key, String host) {
        return Objects.equals(normalise(key), normalise(host));
    }

    private static String normalise(String key) {
        String k = key.trim().toLowerCase(Locale.ROOT);
        int scheme = k.indexOf("://");
        if (scheme >= 0) {
            k = k.substring(scheme + 3);
        }
        int slash = k.indexOf('/');
        if (slash >= 0) {
            k = k.substring(0, slash);
        }
        // Docker Hub's historic key.
        return k.equals("index.docker.io") ? "docker.io" : k;
    }

    private static boolean notEmpty(String s) {
        return s != null && !s.isEmpty();
    }

    /**
     * Made on first use: only a Docker config or a credential helper's answer is JSON, and most CI jobs have neither.
     * Jackson's first mapper costs ~25 ms, which every push paid before its first request.
     */
    private static final class Json {
        static final ObjectMapper MAPPER = JsonMapper.builder().build();
    }
}
