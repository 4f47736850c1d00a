package dev.kastor.bridge.routing.server;

import dev.kastor.bridge.listener.UnixSocketChannels;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.routing.RoutingDefaults;
import dev.kastor.bridge.routing.rpc.PrivateApiGrpc;
import dev.kastor.bridge.tunnel.rpc.AgentFrame;
import dev.kastor.bridge.tunnel.rpc.KasFrame;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ConnectivityState;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.io.File;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * One gRPC channel per other replica's private API, made on first use; every call carries a fresh JWT.
 *
 * <p>A channel is closed as soon as it carries no call and is not connected to its replica: the replica closed the
 * connection (it stopped, or crashed and its kernel reset the connection) or the last attempt to connect failed
 * (refused, connect timeout, TLS handshake). Replicas come and go (a rolling update gives every pod a new IP, or
 * reuses one): a departed replica's channel would otherwise keep reconnecting with gRPC's backoff, and a replica back
 * at the same address would meet that backoff and fail fast. The next call to that address simply opens a new channel.
 * A channel that is connected stays, however slow its replica answers. A channel with a call in flight is never
 * closed. As a last resort, a channel that carried no call for {@link RoutingDefaults#REPLICA_CHANNEL_IDLE} is closed
 * too (a replica whose host vanished without closing anything looks connected until something is sent).
 */
final class ReplicaChannels implements AutoCloseable {
    private final Map<String, Entry> channels = new ConcurrentHashMap<>();
    /** When a connect to each replica last failed (nanoTime), until one succeeds or the memory runs out. */
    private final Map<String, Long> unreachable = new ConcurrentHashMap<>();
    private final PrivateApiJwt jwt;
    private final SslContext tls;
    private final long idleNanos;
    private final LongSupplier nanoTime;
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("kastor-replica-channels").daemon().factory());

    /** {@code caCertificateFile}: the CA to trust for {@code grpcs://} replicas, or null for the JVM's default trust store. */
    ReplicaChannels(PrivateApiJwt jwt, String caCertificateFile) {
        this(jwt, caCertificateFile, RoutingDefaults.REPLICA_CHANNEL_IDLE, System::nanoTime);
    }

    /** With the idle time and the clock of the caller's choice (tests use short or hand-driven ones). */
    ReplicaChannels(PrivateApiJwt jwt, String caCertificateFile, Duration idle, LongSupplier nanoTime) {
        this.jwt = jwt;
        this.idleNanos = idle.toNanos();
        this.nanoTime = nanoTime;
        if (caCertificateFile == null) {
            this.tls = null;
        } else {
            try {
                this.tls = GrpcSslContexts.forClient().trustManager(new File(caCertificateFile)).build();
            } catch (Exception e) {
                throw new IllegalArgumentException("listen.private_api.ca_certificate_file " + caCertificateFile
                        + " is not a usable PEM CA certificate (" + Causes.describe(e) + ")", e);
            }
        }
        long every = Math.max(10, Math.min(idle.toMillis() / 5, Duration.ofMinutes(1).toMillis()));
        sweeper.scheduleWithFixedDelay(this::closeIdle, every, every, TimeUnit.MILLISECONDS);
    }

    /** A channel and how it is used; both fields change only inside the map's compute functions (one key at a time). */
    private static final class Entry {
        final ManagedChannel channel;
        volatile int calls;
        long lastUsed;

        Entry(ManagedChannel channel) {
            this.channel = channel;
        }
    }

    /** A fresh JWT per call, naming the replica called and the agent the call is about. */
    private CallCredentials credentials(String url, long agentId) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
                var m = new Metadata();
                m.put(PrivateApiAuthInterceptor.AUTHORIZATION, "Bearer " + jwt.mint(url, agentId));
                applier.apply(m);
            }
        };
    }

    /**
     * Starts one private API call to the replica at {@code url} about {@code agentId}; {@code observer} gets the call's
     * request stream in {@code beforeStart}. The channel counts the call as in flight until gRPC closes it.
     */
    void proxy(String url, long agentId, ClientResponseObserver<KasFrame, AgentFrame> observer) {
        Entry[] got = new Entry[1];
        boolean[] opened = new boolean[1];
        channels.compute(url, (k, e) -> {
            if (e == null) {
                e = new Entry(open(k));
                opened[0] = true;
            }
            e.calls++;
            e.lastUsed = nanoTime.getAsLong();
            got[0] = e;
            return e;
        });
        Entry entry = got[0];
        if (opened[0]) follow(url, entry, ConnectivityState.IDLE);
        var released = new AtomicBoolean();
        Runnable release = () -> {
            if (!released.compareAndSet(false, true)) return;
            channels.computeIfPresent(url, (k, e) -> {
                if (e != entry) return e;
                e.calls--;
                e.lastUsed = nanoTime.getAsLong();
                return closedIfGone(k, e);
            });
        };
        var agent = new Metadata();
        agent.put(PrivateApiAuthInterceptor.AGENT_ID_HEADER, Long.toString(agentId));
        try {
            PrivateApiGrpc.newStub(entry.channel)
                    .withCallCredentials(credentials(url, agentId))
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(agent), onClose(release))
                    .proxy(observer);
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
    }

    /** Runs {@code action} once the call is over, however it ends (gRPC closes every started call exactly once). */
    private static ClientInterceptor onClose(Runnable action) {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                            @Override
                            public void onClose(Status status, Metadata trailers) {
                                action.run();
                                super.onClose(status, trailers);
                            }
                        }, headers);
                    }
                };
            }
        };
    }

    /**
     * Watches the channel's state from {@code seen} on. A lost connection or a failed connect shows here before or
     * after the calls on the channel close: whichever of this and the last call's release comes second closes it.
     */
    private void follow(String url, Entry entry, ConnectivityState seen) {
        entry.channel.notifyWhenStateChanged(seen, () -> {
            ConnectivityState now = entry.channel.getState(false);
            if (now == ConnectivityState.SHUTDOWN) return;
            if (now == ConnectivityState.READY) unreachable.remove(url);
            channels.computeIfPresent(url, (k, e) -> e == entry ? closedIfGone(k, e) : e);
            follow(url, entry, now);
        });
    }

    /**
     * Null (after closing it) when the channel carries no call and is not connected to its replica, else the entry.
     * Only inside the map's compute functions, like every other change of an entry.
     */
    private Entry closedIfGone(String url, Entry e) {
        if (e.calls > 0) return e;
        ConnectivityState state = e.channel.getState(false);
        // IDLE on a channel that was used: the connection ended (GOAWAY at shutdown, reset, gRPC's own idle timer).
        if (state != ConnectivityState.IDLE && state != ConnectivityState.TRANSIENT_FAILURE) return e;
        if (state == ConnectivityState.TRANSIENT_FAILURE) unreachable.put(url, nanoTime.getAsLong());
        e.channel.shutdown();
        return null;
    }

    /**
     * Whether the last attempt to connect to {@code url} failed less than {@link RoutingDefaults#REPLICA_UNREACHABLE_MEMORY}
     * ago (and no connection succeeded since): such a replica is tried after the others holding the agent.
     */
    boolean recentlyUnreachable(String url) {
        Long since = unreachable.get(url);
        if (since == null) return false;
        if (nanoTime.getAsLong() - since < RoutingDefaults.REPLICA_UNREACHABLE_MEMORY.toNanos()) return true;
        unreachable.remove(url, since);
        return false;
    }

    /**
     * Closes every channel that carries no call and carried none for the idle time. Taking a channel for a call and
     * closing it both happen under the map's lock for that replica, so no call starts on a channel being closed; the
     * graceful {@code shutdown} is a second guard.
     */
    void closeIdle() {
        long now = nanoTime.getAsLong();
        for (String url : channels.keySet()) {
            channels.computeIfPresent(url, (k, e) -> {
                if (e.calls > 0 || now - e.lastUsed < idleNanos) return e;
                e.channel.shutdown();
                return null;
            });
        }
        // Forget connect failures past their memory, also for replicas no request asked about since.
        unreachable.keySet().forEach(this::recentlyUnreachable);
    }

    /** How many replicas this replica keeps a channel to now. */
    int openChannels() {
        return channels.size();
    }

    /** Calls in flight to {@code url}: a call counts until gRPC closed it, a moment after its last frame was heard. */
    int callsInFlight(String url) {
        Entry e = channels.get(url);
        return e == null ? 0 : e.calls;
    }

    /** The channel to {@code url}, if one is open (tests look at its state). */
    ManagedChannel channel(String url) {
        Entry e = channels.get(url);
        return e == null ? null : e.channel;
    }

    /** A channel to the replica that advertised {@code advertised} ({@link PrivateApiAddress}). */
    private ManagedChannel open(String advertised) {
        var address = PrivateApiAddress.parse(advertised);
        URI u = address.uri();
        var b = (UnixSocketChannels.isUnix(u) ? UnixSocketChannels.builder(u) : NettyChannelBuilder.forAddress(u.getHost(), u.getPort()))
                .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) RoutingDefaults.REPLICA_CONNECT_TIMEOUT.toMillis())
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(false);
        if ("grpcs".equals(u.getScheme())) {
            if (tls != null) {
                b.sslContext(tls);
            } else {
                b.useTransportSecurity();
            }
            // TLS's server name and the name the certificate is verified against: the one that replica advertised.
            if (address.serverName() != null) b.overrideAuthority(address.serverName());
        } else {
            b.usePlaintext();
        }
        return b.build();
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        channels.values().forEach(e -> e.channel.shutdownNow());
        channels.clear();
    }
}
