package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.server.ProxyTunnel;
import dev.kastor.bridge.tunnel.server.TunnelFinder;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Lets one request through to its agent: the job is authorised, the request is counted against its job's and its
 * address's share of the agent ({@link JobShares}), and a tunnel is claimed for it. The share is held until
 * {@link #release}.
 */
final class Admission {
    /** What {@link #share} holds once released, so that a share taken late (on the virtual thread) goes straight back. */
    private static final JobShares.Share GIVEN_BACK = new JobShares.Share(0, "", "");

    private final HttpRequest request;
    private final ProxyContext proxy;
    private final String address;
    /** This request's place in its job's share of the agent: null none yet, then held, then {@link #GIVEN_BACK}. */
    private final AtomicReference<JobShares.Share> share = new AtomicReference<>();

    /** A request let through: who it is for, and the tunnel claimed for it. */
    record Admitted(AuthorizedRequest auth, ProxyTunnel tunnel) {}

    Admission(HttpRequest request, ProxyContext proxy, String address) {
        this.request = request;
        this.proxy = proxy;
        this.address = address;
    }

    /**
     * On the event loop, the common case without a thread hop: KAS already holds GitLab's answer for this job and the
     * agent has an idle stream here. Empty when either needs waiting: then {@link #await} does it.
     */
    Optional<Admitted> now() throws ProxyFailure {
        var auth = proxy.authorizer().authorizeFromCache(request.headers().get(HttpHeaderNames.AUTHORIZATION));
        if (auth.isEmpty()) return Optional.empty();
        check(auth.get());
        ProxyTunnel idle = proxy.tunnels().findNow(auth.get().agentId());
        return idle == null ? Optional.empty() : Optional.of(new Admitted(auth.get(), idle));
    }

    /** On a virtual thread: authorises (asking GitLab if need be) and waits for the agent's tunnel. */
    Admitted await() throws ProxyFailure, InterruptedException {
        AuthorizedRequest auth = proxy.authorizer().authorize(request.headers().get(HttpHeaderNames.AUTHORIZATION));
        check(auth);
        try {
            return new Admitted(auth, proxy.tunnels().find(auth.agentId(), TunnelDefaults.WAIT_FOR_IDLE_STREAM));
        } catch (TunnelFinder.NoTunnel e) {
            throw new ProxyFailure(K8sStatus.unavailable(e.getMessage(), e.retryAfterSeconds()));
        }
    }

    private void check(AuthorizedRequest auth) throws ProxyFailure {
        refuseImpersonationHeaders();
        takeShare(auth);
    }

    /**
     * A job never chooses who it is in the cluster, whatever the agent's {@code access_as}: with {@code agent} the
     * request carries the agent's service-account token, and that account may impersonate (for other projects'
     * {@code ci_job} mode), so a forwarded {@code Impersonate-User: system:admin} would be obeyed. GitLab's KAS refuses
     * them too.
     */
    private void refuseImpersonationHeaders() throws ProxyFailure {
        for (String name : request.headers().names()) {
            if (name.regionMatches(true, 0, "impersonate-", 0, "impersonate-".length())) {
                throw new ProxyFailure(K8sStatus.badRequest("impersonation headers (" + name + ", kubectl --as/--as-group) are not allowed"
                        + " through the agent: the agent's access_as in its config.yaml decides who the job is"));
            }
        }
    }

    /** Counts this request against its job's and its address's share of the agent; 429 beyond it. */
    private void takeShare(AuthorizedRequest auth) throws ProxyFailure {
        if (share.get() != null) return; // taken in now(), which found no idle stream
        var wanted = new JobShares.Share(auth.agentId(), auth.requester(), address);
        String refused = proxy.shares().acquire(wanted);
        if (refused != null) throw new ProxyFailure(new K8sStatus(429, "TooManyRequests", refused + ": retry in a moment"));
        if (!share.compareAndSet(null, wanted)) proxy.shares().release(wanted); // the exchange ended meanwhile
    }

    /** Gives the share back, once; any thread. */
    void release() {
        JobShares.Share held = share.getAndSet(GIVEN_BACK);
        if (held != null && held != GIVEN_BACK) proxy.shares().release(held);
    }
}
