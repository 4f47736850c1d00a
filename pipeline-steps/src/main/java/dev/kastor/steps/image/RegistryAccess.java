package dev.kastor.steps.image;

import dev.kastor.oci.auth.ResolvedCredentials;
import dev.kastor.steps.env.Environment;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * How image builds reach registries: the same credential resolution as {@code kastor artifact} (one resolver, see
 * {@code RegistryFlags}), plain HTTP for local registries, a private CA, and where base layers are cached.
 *
 * @param credentials credentials per registry host
 * @param insecure plain HTTP (and untrusted TLS) allowed: a local or test registry only
 * @param caFile PEM CA certificates registries' TLS certificates chain to, or {@code null}
 * @param cacheDir where base image layers are cached between builds (a CI cache directory, or ~/.cache/kastor)
 */
public record RegistryAccess(Function<String, ResolvedCredentials> credentials, boolean insecure, Path caFile, Path cacheDir) {
    /** Where base image layers are cached unless told: {@code $KASTOR_CACHE_DIR/jib}, else {@code ~/.cache/kastor/jib}. */
    public static Path defaultCacheDir(Environment env) {
        String root = env.env("KASTOR_CACHE_DIR");
        return root != null ? env.path(root).resolve("jib") : env.home().resolve(".cache/kastor/jib");
    }

    public static RegistryAccess anonymous(Path cacheDir) {
        return new RegistryAccess(host -> ResolvedCredentials.anonymous(), false, null, cacheDir);
    }
}
