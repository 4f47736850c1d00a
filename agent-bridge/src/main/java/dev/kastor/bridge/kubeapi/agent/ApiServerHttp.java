package dev.kastor.bridge.kubeapi.agent;

import dev.kastor.bridge.kubeapi.agent.ResponseHead.Framing;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.tunnel.TunnelDefaults;
import dev.kastor.bridge.tunnel.agent.TunnelExchange;
import dev.kastor.bridge.tunnel.rpc.Header;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import java.io.IOException;
import java.net.SocketTimeoutException;

/**
 * HTTP/1.1 to the API server on plain (or TLS) sockets, for every proxied request. Each request runs on its own
 * virtual thread, so blocking socket I/O costs no platform thread, and the bytes go from the socket straight into
 * tunnel messages: no client library's selector and executor threads in between (with the JDK HttpClient those hops
 * were most of the agent's share of a request's latency). Keep-alive connections are pooled
 * ({@link ApiServerConnections}); the HTTP on them is {@link Http1Codec}'s.
 *
 * <p>An upgrade (WebSocket watches, {@code kubectl exec/attach/port-forward}, SPDY) uses a connection of its own:
 * after {@code 101 Switching Protocols} the tunnel stream is two raw byte streams, client bytes to the socket and
 * socket bytes to the client, each ending on its own.
 */
final class ApiServerHttp {
    /** A request sent on {@code connection}, and the head of its answer. */
    private record Sent(Connection connection, Http1Codec codec, ResponseHead head) {}

    private final KubeApiUpstream upstream;
    private final ApiServerConnections connections;

    ApiServerHttp(KubeApiUpstream upstream) {
        this.upstream = upstream;
        this.connections = new ApiServerConnections(upstream);
    }

    void forward(RequestInfo info, TunnelExchange exchange) throws IOException {
        RequestHead request;
        try {
            request = RequestHead.of(info, upstream);
        } catch (RuntimeException e) {
            // the agent's own credentials (its token file) cannot be read: before any connection is taken
            exchange.error(502, "the agent cannot make the request to the Kubernetes API server: " + Causes.describe(e));
            return;
        }
        var lease = connections.lease();
        exchange.onCancel(lease::close);
        try {
            Sent sent = send(request, lease, exchange);
            if (sent != null) answer(info, request, sent, lease, exchange);
        } finally {
            lease.close(); // not given back: the answer broke off (or was an upgrade), so it cannot carry another request
        }
    }

    /** The request sent and its answer's head read; null when the exchange was failed instead (or is gone). */
    private Sent send(RequestHead request, ApiServerConnections.Lease lease, TunnelExchange exchange) {
        for (boolean retry = false; ; retry = true) {
            Connection c;
            try {
                c = lease.take(request, retry);
            } catch (IOException e) {
                exchange.error(502, "the agent cannot reach the Kubernetes API server " + upstream.url() + ": " + Causes.describe(e));
                return null;
            }
            try {
                var codec = new Http1Codec(c);
                codec.writeRequest(request, exchange.requestBody());
                return new Sent(c, codec, codec.readResponseHead(upstream.responseHeadTimeout()));
            } catch (IOException e) {
                // Closed, never pooled: after a timeout a late answer would be read as the next request's.
                lease.close();
                if (e instanceof SocketTimeoutException || exchange.cancelled() || !ApiServerConnections.mayRetry(request, c)) {
                    failed(e, exchange);
                    return null;
                }
            }
        }
    }

    private void failed(IOException e, TunnelExchange exchange) {
        if (exchange.cancelled()) return; // nobody left to tell
        if (e instanceof SocketTimeoutException) {
            exchange.error(504, "the Kubernetes API server " + upstream.url() + " sent no answer within "
                    + upstream.responseHeadTimeout().toSeconds() + " s");
        } else {
            exchange.error(502, "the Kubernetes API server " + upstream.url() + " did not answer: " + Causes.describe(e));
        }
    }

    private static void answer(RequestInfo info, RequestHead request, Sent sent, ApiServerConnections.Lease lease, TunnelExchange exchange)
            throws IOException {
        ResponseHead head = sent.head();
        Header header = head.forTunnel();
        if (head.switchesProtocols()) {
            exchange.header(header);
            sent.codec().relayUpgraded(exchange.requestBody(), exchange::write);
            exchange.trailer();
            return;
        }
        Framing framing = head.framing(request.method());
        boolean reusable = !request.upgrade() && head.keepsAlive() && framing != Framing.UNTIL_CLOSE;
        if (info.getAcceptsResponse() && fitsOneMessage(head, framing)) {
            // A small answer of known length (most single objects): one frame through the tunnel instead of three.
            byte[] body = sent.codec().readWholeBody(framing == Framing.NONE ? 0 : (int) head.contentLength());
            lease.giveBack(sent.connection(), reusable);
            exchange.respond(header, body, body.length);
            return;
        }
        exchange.header(header);
        sent.codec().readBody(head, framing, exchange::write);
        lease.giveBack(sent.connection(), reusable);
        exchange.trailer();
    }

    private static boolean fitsOneMessage(ResponseHead head, Framing framing) {
        return framing == Framing.NONE || framing == Framing.LENGTH && head.contentLength() <= TunnelDefaults.CHUNK;
    }
}
