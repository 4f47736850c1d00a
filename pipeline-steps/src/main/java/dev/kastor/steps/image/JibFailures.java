package dev.kastor.steps.image;

import com.google.cloud.tools.jib.api.InsecureRegistryException;
import com.google.cloud.tools.jib.api.RegistryAuthenticationFailedException;
import com.google.cloud.tools.jib.api.RegistryUnauthorizedException;
import com.google.cloud.tools.jib.image.json.PlatformNotFoundInBaseImageException;
import com.google.cloud.tools.jib.registry.RegistryCredentialsNotSentException;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.KastorException;
import dev.kastor.oci.auth.ResolvedCredentials;
import dev.kastor.oci.registry.RegistryException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.file.NoSuchFileException;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import javax.net.ssl.SSLException;

/**
 * Turns what jib throws into Kastor's failures: one message saying what failed, where, and what to do, mapped to
 * the same exception kinds (and so exit codes) as {@code kastor artifact}. Never includes a credential.
 */
final class JibFailures {
    private JibFailures() {}

    static KastorException translate(Throwable thrown, ImageSpec spec, Function<String, ResolvedCredentials> credentials) {
        Throwable e = thrown;
        while ((e instanceof ExecutionException || e.getClass() == RuntimeException.class) && e.getCause() != null) e = e.getCause();
        if (e instanceof KastorException k) return k;
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof RegistryUnauthorizedException u) {
            String ref = u.getImageReference();
            String host = ref.contains("/") ? ref.substring(0, ref.indexOf('/')) : ref;
            return new RegistryException.Unauthorized("registry " + host + " refused access to " + ref + " (" + statusOf(u) + "): "
                    + authHint(host, credentials), 401);
        }
        if (e instanceof RegistryAuthenticationFailedException || e instanceof RegistryCredentialsNotSentException) {
            return new RegistryException.Unauthorized("registry authentication failed: " + msg + " — check the credentials ("
                    + "--creds, CI_REGISTRY_USER/CI_REGISTRY_PASSWORD, DOCKER_AUTH_CONFIG or ~/.docker/config.json)"
                    + (e instanceof RegistryCredentialsNotSentException ? "; over plain HTTP credentials are sent only with --insecure-registry" : ""), 401);
        }
        if (e instanceof InsecureRegistryException || e instanceof SSLException) {
            return new KastorException("TLS to the registry failed (" + msg + "): give its CA with --ca-file, or --insecure-registry for a local plain-HTTP registry");
        }
        if (e instanceof PlatformNotFoundInBaseImageException || msg.contains("cannot build for multiple platforms")) {
            return new InvalidInputException("platform mismatch: " + msg + " (base " + spec.base() + ", --platform " + spec.platforms() + ")");
        }
        if (e instanceof UnknownHostException) {
            return new RegistryException.Unavailable("cannot resolve registry host " + msg + ": check the image reference", 0, e);
        }
        if (e instanceof ConnectException) {
            return new RegistryException.Unavailable("cannot connect to the registry (" + msg + "): is it up, and is the host:port right?", 0, e);
        }
        if (e instanceof NoSuchFileException n) {
            return new InvalidInputException(n.getFile() + ": no such file or directory");
        }
        String lower = msg.toLowerCase(Locale.ROOT);
        boolean aboutBase = spec.base() instanceof ImageLocation.InRegistry r && msg.contains(r.ref().repository());
        if (aboutBase && (lower.contains("manifest_unknown") || lower.contains("manifest unknown") || lower.contains("name_unknown")
                || lower.contains("repository name not known") || lower.contains("404") || lower.contains("not found"))) {
            return new RegistryException.NotFound("base image " + spec.base() + " not found: " + msg
                    + " (check the reference, and that the credentials may read it)");
        }
        if (e instanceof com.google.cloud.tools.jib.api.RegistryException) {
            return new RegistryException("registry error: " + msg, 0, e);
        }
        return new KastorException("image build failed: " + e.getClass().getSimpleName() + ": " + msg, e);
    }

    private static String statusOf(RegistryUnauthorizedException u) {
        String m = String.valueOf(u.getMessage());
        return m.contains("403") ? "403 Forbidden" : "401 Unauthorized";
    }

    private static String authHint(String host, Function<String, ResolvedCredentials> credentials) {
        ResolvedCredentials c;
        try {
            c = credentials.apply(host);
        } catch (RuntimeException e) {
            c = ResolvedCredentials.anonymous();
        }
        return c.isAnonymous()
                ? c.missingHint()
                : "credentials of " + c + " were refused: check the user, password or token and its scope (read and write registry)";
    }
}
