package dev.kastor.bridge.flux.server;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.kastor.bridge.flux.rpc.Delivery;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.routing.RoutingDefaults;
import dev.kastor.bridge.routing.server.RedisClients;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Several replicas: a delivery is published (protobuf bytes) on {@code <key_prefix>:flux:events} and every replica
 * subscribed there, this one included, hands it to its own agents. While Redis is away (or this replica's
 * subscription is), a delivery still reaches this replica's agents directly, and the trouble is logged once; Lettuce
 * reconnects and subscribes again by itself. Redis pub/sub keeps nothing: a replica that is cut off misses what is
 * published meanwhile (Flux's own interval covers it).
 */
final class RedisFluxBus implements FluxBus {
    private final byte[] channel;
    private final Consumer<Delivery> agents;
    private final JsonLog log;
    private final RedisURI uri;
    private final String where;
    private final RedisClient client;
    private final ScheduledExecutorService connector = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("kastor-flux-redis").daemon().factory());
    private volatile StatefulRedisConnection<byte[], byte[]> publisher;
    private volatile StatefulRedisPubSubConnection<byte[], byte[]> subscriber;
    private volatile String problem;

    RedisFluxBus(KasConfig.Redis config, Consumer<Delivery> agents, JsonLog log) {
        this.channel = (config.keyPrefix() + FluxServerDefaults.CHANNEL_SUFFIX).getBytes(StandardCharsets.UTF_8);
        this.agents = agents;
        this.log = log;
        this.uri = RedisClients.uri(config);
        this.where = RedisClients.where(uri);
        this.client = RedisClients.client();
    }

    /** Connects now, and keeps trying every health check while Redis cannot be reached (Lettuce reconnects only a connection it once had). */
    @Override
    public void start() {
        connector.scheduleWithFixedDelay(this::connect, 0, RoutingDefaults.HEALTH_CHECK.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void connect() {
        try {
            if (subscriber == null) {
                var sub = client.connectPubSub(ByteArrayCodec.INSTANCE, uri);
                sub.addListener(new RedisPubSubAdapter<>() {
                    @Override
                    public void message(byte[] from, byte[] message) {
                        received(message);
                    }
                });
                sub.sync().subscribe(channel);
                subscriber = sub;
            }
            if (publisher == null) publisher = client.connect(ByteArrayCodec.INSTANCE, uri);
            connector.shutdown();
        } catch (RuntimeException e) {
            trouble(RedisClients.describe(e));
        }
    }

    @Override
    public void publish(Delivery delivery) {
        var pub = publisher;
        var sub = subscriber;
        if (pub == null || sub == null || !sub.isOpen()) {
            trouble("not connected");
        } else {
            try {
                // Redis counts the subscribers it handed the message to: none means not even this replica's subscription.
                if (pub.sync().publish(channel, delivery.toByteArray()) > 0) {
                    reachable();
                    return;
                }
                trouble("no replica subscribed, not even this one");
            } catch (RuntimeException e) {
                trouble(RedisClients.describe(e));
            }
        }
        agents.accept(delivery);
    }

    private void received(byte[] message) {
        try {
            agents.accept(Delivery.parseFrom(message));
        } catch (InvalidProtocolBufferException e) {
            log.warn("ignored a message on the flux channel that is no Delivery (another program publishing there?)",
                    Map.of("channel", new String(channel, StandardCharsets.UTF_8), "bytes", message.length));
        }
    }

    private void reachable() {
        if (problem == null) return;
        problem = null;
        log.info("flux events go through redis again", Map.of("redis", where));
    }

    private void trouble(String why) {
        if (!why.equals(problem)) {
            log.warn("redis unreachable: flux events reach only the agents connected to this replica", Map.of("redis", where, "error", why));
        }
        problem = why;
    }

    @Override
    public void close() {
        connector.shutdownNow();
        var sub = subscriber;
        if (sub != null) sub.close();
        var pub = publisher;
        if (pub != null) pub.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
