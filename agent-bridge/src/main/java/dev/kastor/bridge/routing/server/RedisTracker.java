package dev.kastor.bridge.routing.server;

import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.routing.RoutingDefaults;
import dev.kastor.bridge.tunnel.server.TunnelRegistry;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The tracker in Redis (Lettuce). Key layout: one hash per agent, {@code <prefix>:agent_replicas:<agent id>}, whose
 * fields are the private API URLs of the replicas holding the agent and whose values are each field's expiry
 * (epoch milliseconds). Redis 7.0 has no per-field TTL, so readers ignore (and delete) fields whose expiry has
 * passed, and the key itself gets the TTL on every write so an agent nobody holds any more disappears whole. One
 * HGETALL answers a lookup, where a key per agent and replica plus a set per agent would need a scan or two round
 * trips and leave the set to be cleaned anyway. This is how GitLab's KAS keeps its tunnel tracker too.
 *
 * <p>Writes run on one thread, in order: an agent arriving or leaving schedules a check of whether this replica
 * holds it now, so a late write never undoes a newer one. Every {@link RoutingDefaults#HEALTH_CHECK} the thread
 * PINGs Redis and, after Redis was away (it may have lost everything), writes all entries again.
 */
final class RedisTracker implements AgentTracker {
    private final TunnelRegistry registry;
    private final String ownUrl;
    private final String keyPrefix;
    private final JsonLog log;
    private final RedisURI uri;
    private final RedisClient client;
    private final String where;
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("kastor-redis-tracker").daemon().factory());
    /** Agents this replica may have an entry for: removed at stop. */
    private final Set<Long> written = ConcurrentHashMap.newKeySet();
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile String problem = "not connected yet";
    /** Entries must be written again (start, Redis was away, a write failed). */
    private volatile boolean dirty = true;
    private long lastRefresh;
    private volatile boolean closed;

    RedisTracker(KasConfig.Redis config, String ownUrl, TunnelRegistry registry, JsonLog log) {
        this.registry = registry;
        this.ownUrl = ownUrl;
        this.keyPrefix = config.keyPrefix();
        this.log = log;
        this.uri = RedisClients.uri(config);
        this.where = RedisClients.where(uri);
        this.client = RedisClients.client();
        // A Redis restart can fall between two health checks; the lost connection is what tells us it happened.
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                if (closed) return;
                dirty = true;
                if (problem == null) problem = "connection lost";
            }

            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                if (!closed && dirty) changedAll();
            }
        });
    }

    private void changedAll() {
        try {
            writer.execute(this::tick);
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    String key(long agentId) {
        return keyPrefix + ":agent_replicas:" + agentId;
    }

    private String registrationsKey(long agentId) {
        return keyPrefix + ":agent_registrations:" + agentId;
    }

    /** Writes an agent instance's registration on the writer thread; a failed write waits for the instance's next one. */
    void putRegistration(long agentId, String instanceId, String value, java.time.Duration keep) {
        try {
            writer.execute(() -> {
                var c = connection;
                if (c == null || !c.isOpen()) return;
                try {
                    c.sync().hset(registrationsKey(agentId), instanceId, value);
                    c.sync().pexpire(registrationsKey(agentId), keep.toMillis());
                } catch (RuntimeException e) {
                    trouble(e);
                }
            });
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    /** The agent's instances' registrations as {@link #putRegistration} wrote them. */
    Map<String, String> registrations(long agentId) throws Unavailable {
        var c = connection;
        if (c == null || !c.isOpen()) throw new Unavailable(unreachable());
        try {
            return c.sync().hgetall(registrationsKey(agentId));
        } catch (RuntimeException e) {
            trouble(e);
            throw new Unavailable(unreachable());
        }
    }

    @Override
    public void start() {
        registry.watch(this::changed, this::changed);
        writer.scheduleWithFixedDelay(this::tick, 0, RoutingDefaults.HEALTH_CHECK.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void changed(long agentId) {
        if (closed) return;
        try {
            writer.execute(() -> reconcile(agentId));
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    private void reconcile(long agentId) {
        var c = connection;
        if (closed) return;
        if (c == null) {
            dirty = true;
            return;
        }
        try {
            if (registry.connected(agentId)) {
                write(c, agentId);
            } else {
                c.sync().hdel(key(agentId), ownUrl);
                written.remove(agentId);
            }
        } catch (Exception e) {
            dirty = true;
            trouble(e);
        }
    }

    /**
     * Sets this replica's entry and the key's expiry in one step (a script runs atomically): as two commands, a replica
     * that died between them would leave a key that never expires, and a reader could see it without expiry.
     */
    private static final String WRITE_ENTRY = "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]); return redis.call('PEXPIRE', KEYS[1], ARGV[3])";

    private void write(StatefulRedisConnection<String, String> c, long agentId) {
        written.add(agentId);
        long ttl = RoutingDefaults.ENTRY_TTL.toMillis();
        c.sync().eval(WRITE_ENTRY, ScriptOutputType.INTEGER, new String[] {key(agentId)}, ownUrl,
                Long.toString(System.currentTimeMillis() + ttl), Long.toString(ttl));
    }

    private void tick() {
        if (closed) return;
        try {
            var c = connection;
            if (c == null) {
                c = client.connect(uri);
                connection = c;
            }
            c.sync().ping();
            if (problem != null) {
                log.info("redis reachable", Map.of("redis", where));
                problem = null;
                dirty = true; // Redis may have restarted empty
            }
            long now = System.nanoTime();
            if (dirty || now - lastRefresh >= RoutingDefaults.REFRESH.toNanos()) {
                dirty = false;
                lastRefresh = now;
                Set<Long> held = registry.connectedAgentIds();
                for (long id : held) write(c, id);
                for (long id : new HashSet<>(written)) {
                    if (!held.contains(id) && !registry.connected(id)) {
                        c.sync().hdel(key(id), ownUrl);
                        written.remove(id);
                    }
                }
            }
        } catch (Exception e) {
            dirty = true;
            trouble(e);
        }
    }

    private void trouble(Exception e) {
        String why = RedisClients.describe(e);
        if (!why.equals(problem)) log.warn("redis unreachable", Map.of("redis", where, "error", why));
        problem = why;
        dirty = true;
    }

    private String unreachable() {
        return "Redis at " + where + " is unreachable (" + (problem == null ? "not connected" : problem) + ")";
    }

    @Override
    public List<String> replicasOf(long agentId) throws Unavailable {
        var c = connection;
        if (c == null || !c.isOpen()) throw new Unavailable(unreachable());
        Map<String, String> fields;
        try {
            fields = c.sync().hgetall(key(agentId));
        } catch (RuntimeException e) {
            trouble(e);
            throw new Unavailable(unreachable());
        }
        long now = System.currentTimeMillis();
        var live = new ArrayList<Map.Entry<String, Long>>();
        var expired = new ArrayList<String>();
        fields.forEach((url, value) -> {
            long expiry;
            try {
                expiry = Long.parseLong(value);
            } catch (NumberFormatException e) {
                expiry = 0;
            }
            if (expiry <= now) {
                expired.add(url);
            } else if (!url.equals(ownUrl)) {
                live.add(Map.entry(url, expiry));
            }
        });
        // A replica that died without removing its entries: forget it now rather than when the whole key expires.
        if (!expired.isEmpty()) c.async().hdel(key(agentId), expired.toArray(String[]::new));
        live.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()));
        return live.stream().map(Map.Entry::getKey).toList();
    }

    @Override
    public Optional<String> notReady() {
        var c = connection;
        if (c == null || !c.isOpen()) return Optional.of(unreachable());
        try {
            c.sync().ping();
            return Optional.empty();
        } catch (RuntimeException e) {
            trouble(e);
            return Optional.of(unreachable());
        }
    }

    @Override
    public void close() {
        closed = true;
        registry.watch(id -> {}, id -> {});
        writer.shutdownNow();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        var c = connection;
        if (c != null) {
            // A stopping replica holds nothing: other replicas must not route to it while its entries would live on.
            var mine = new HashSet<>(written);
            mine.addAll(registry.connectedAgentIds());
            for (long id : mine) {
                try {
                    c.sync().hdel(key(id), ownUrl);
                } catch (RuntimeException e) {
                    break; // Redis is away: the entries expire by themselves
                }
            }
            c.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
