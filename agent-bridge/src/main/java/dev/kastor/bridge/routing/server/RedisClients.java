package dev.kastor.bridge.routing.server;

import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.routing.RoutingDefaults;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How every KAS feature that uses the {@code redis} section (routing's tracker, flux's fan-out) reaches Redis: the
 * same URL, password file and bounds, so they behave alike when Redis is slow or away.
 */
public final class RedisClients {
    private RedisClients() {}

    /** {@code redis.url} with {@code redis.password_file} (read now) and {@link RoutingDefaults#REDIS_TIMEOUT}. */
    public static RedisURI uri(KasConfig.Redis config) {
        var uri = RedisURI.create(config.url());
        uri.setTimeout(RoutingDefaults.REDIS_TIMEOUT);
        if (config.passwordFile() != null) {
            String password;
            try {
                password = Files.readString(Path.of(config.passwordFile())).strip();
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read redis.password_file " + config.passwordFile() + ": " + Causes.describe(e), e);
            }
            uri.setCredentialsProvider(RedisCredentialsProvider.from(() -> RedisCredentials.just(null, password)));
        }
        return uri;
    }

    /**
     * A client that reconnects by itself and, while Redis is away, fails commands at once instead of queueing them:
     * a request must get its answer, not wait. Connecting and every command are bounded by
     * {@link RoutingDefaults#REDIS_TIMEOUT}.
     */
    public static RedisClient client() {
        var client = RedisClient.create();
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(RoutingDefaults.REDIS_TIMEOUT).build())
                .timeoutOptions(TimeoutOptions.enabled(RoutingDefaults.REDIS_TIMEOUT))
                .build());
        return client;
    }

    /** {@code host:port}, to name Redis in logs without its credentials. */
    public static String where(RedisURI uri) {
        return uri.getHost() + ":" + uri.getPort();
    }

    /** The innermost message: Lettuce wraps "Connection refused" in two layers. Never carries the password. */
    public static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
