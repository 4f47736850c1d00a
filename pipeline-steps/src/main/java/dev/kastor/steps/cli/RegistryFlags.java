package dev.kastor.steps.cli;

import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.Progress;
import dev.kastor.oci.UsageException;
import dev.kastor.oci.auth.CredentialResolver;
import dev.kastor.oci.auth.Credentials;
import dev.kastor.oci.auth.ResolvedCredentials;
import dev.kastor.oci.flux.FluxArtifacts;
import dev.kastor.oci.registry.Registry;
import dev.kastor.oci.registry.RegistryOptions;
import dev.kastor.oci.registry.RetryPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import picocli.CommandLine.Option;

/** How to reach a registry: credentials, TLS, retries. Shared by every command that talks to one. */
public final class RegistryFlags {
    @Option(names = "--creds", paramLabel = "USER:PASSWORD",
            description = "Registry credentials. Better: CI_REGISTRY_USER/CI_REGISTRY_PASSWORD, DOCKER_AUTH_CONFIG, a Docker config.json"
                    + " or a masked CI/CD variable KASTOR_CREDS, as a command line is visible to other processes.")
    String creds;

    @Option(names = "--ca-file", paramLabel = "FILE", description = "PEM file with the CA certificate(s) the registry's TLS certificate chains to.")
    String caFile;

    @Option(names = "--insecure-registry", description = "Talk plain HTTP to the registry (a local or test registry only).")
    boolean insecure;

    @Option(names = "--retries", paramLabel = "N", defaultValue = "5",
            description = "Attempts per request on 429, 5xx or a dropped connection, with backoff (default: ${DEFAULT-VALUE}).")
    int retries = 5;

    @Option(names = "--registry-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "Abandon (and retry) a registry request that moves no data for this long; also the connect timeout (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds = 60;

    /** The artifact verbs, reaching registries with these flags and reporting transfers on the console. */
    public FluxArtifacts artifacts(Context ctx, Console console) {
        return new FluxArtifacts(registries(ctx, console.progress(), console::warn));
    }

    /** One connected registry per host, each with the credentials resolved for that host. */
    public Function<String, Registry> registries(Context ctx, Progress progress, Consumer<String> notices) {
        Credentials explicit = explicitCredentials();
        var resolver = new CredentialResolver(ctx.env(), ctx.home(), searchPath(ctx));
        RetryPolicy policy = new RetryPolicy(Math.max(1, retries), RetryPolicy.DEFAULT.baseBackoff(), RetryPolicy.DEFAULT.maxBackoff(),
                RetryPolicy.DEFAULT.jitter());
        return host -> Registry.connect(host, RegistryOptions.builder()
                .insecure(insecure)
                .caFile(caFile == null ? null : ctx.path(caFile))
                .credentials(resolver.resolve(host, explicit))
                .retry(policy)
                .progress(progress)
                .notices(notices)
                .timeout(Duration.ofSeconds(Math.max(1, timeoutSeconds)))
                .build());
    }

    /**
     * Credentials per registry host, resolved exactly as for the artifact verbs (first match wins: --creds,
     * CI_REGISTRY_USER for CI_REGISTRY, DOCKER_AUTH_CONFIG, Docker config and helpers). The image builder uses it.
     */
    public Function<String, ResolvedCredentials> credentials(Context ctx) {
        Credentials explicit = explicitCredentials();
        var resolver = new CredentialResolver(ctx.env(), ctx.home(), searchPath(ctx));
        return host -> resolver.resolve(host, explicit);
    }

    /** {@code --creds} parsed; a value that is not user:password is a usage error (the message never repeats it). */
    private Credentials explicitCredentials() {
        if (creds == null) return null;
        try {
            return Credentials.parse(creds);
        } catch (InvalidInputException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }

    public boolean insecure() {
        return insecure;
    }

    /** The {@code --ca-file} resolved against the working directory, or {@code null}. */
    public Path caFile(Context ctx) {
        if (insecure && caFile != null) {
            throw new UsageException("--insecure-registry (plain http) and --ca-file do not go together: a CA file is for https");
        }
        return caFile == null ? null : ctx.path(caFile);
    }

    private static List<Path> searchPath(Context ctx) {
        var dirs = new ArrayList<Path>();
        String path = ctx.env("PATH");
        if (path != null) {
            for (String d : path.split(":")) if (!d.isEmpty()) dirs.add(Path.of(d));
        }
        return dirs;
    }
}
