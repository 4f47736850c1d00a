package dev.kastor.bridge.kubeapi.server;

import com.google.protobuf.ByteString;
import dev.kastor.bridge.kubeapi.HttpRules;
import dev.kastor.bridge.tunnel.rpc.Header;
import dev.kastor.bridge.tunnel.rpc.Impersonation;
import dev.kastor.bridge.tunnel.rpc.RequestInfo;
import dev.kastor.bridge.tunnel.rpc.Values;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * What crosses the k8s proxy between the client's HTTP and the agent's tunnel frames: the request head as a
 * {@link RequestInfo}, the agent's {@link Header} as the client's response head, each without what ends at a hop.
 */
final class ProxyMessages {
    /** Besides what ends at a hop ({@link HttpRules}): the job's credentials and KAS's host never travel on. */
    private static final Set<String> NEVER_FORWARDED = Set.of("authorization", "host");

    private ProxyMessages() {}

    /** The request as the agent gets it: its path below {@code prefix}, its end-to-end headers, who it runs as. */
    static RequestInfo requestInfo(HttpRequest request, String prefix, String correlationId, Impersonation impersonation, boolean upgrade) {
        String raw = request.uri();
        int q = raw.indexOf('?');
        String path = new QueryStringDecoder(raw).rawPath().substring(prefix.length());
        if (path.isEmpty()) path = "/";
        var b = RequestInfo.newBuilder().setMethod(request.method().name()).setPath(path)
                .setQuery(q < 0 ? "" : raw.substring(q + 1)).setCorrelationId(correlationId).setAcceptsResponse(true).setImpersonation(impersonation);
        var options = HttpRules.connectionOptions(request.headers().getAll(HttpHeaderNames.CONNECTION));
        for (String name : request.headers().names()) {
            String lower = name.toLowerCase(Locale.ROOT);
            // Transfer-Encoding travels with the request so the agent knows a body of unknown length follows.
            boolean endsHere = HttpRules.endsAtHop(lower, options, upgrade) && !lower.equals("transfer-encoding");
            if (endsHere || NEVER_FORWARDED.contains(lower)) continue;
            b.putHeaders(name, Values.newBuilder().addAllValue(request.headers().getAll(name)).build());
        }
        return b.build();
    }

    /**
     * The client's response head for a body that follows in pieces: chunked unless the API server gave a length. A
     * 101's head stays as it is: after it the connection carries raw bytes, with neither framing nor keep-alive.
     */
    static HttpResponse head(Header header, boolean keepAlive) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status(header));
        copyHeaders(header, response);
        if (header.getStatus() == 101) return response;
        if (!response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) HttpUtil.setTransferEncodingChunked(response, true);
        HttpUtil.setKeepAlive(response, keepAlive);
        return response;
    }

    /** A whole answer the agent held in one frame. */
    static FullHttpResponse whole(Header header, ByteString body, boolean keepAlive) {
        var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status(header), Unpooled.wrappedBuffer(body.asReadOnlyByteBuffer()));
        copyHeaders(header, response);
        // The API server's own Content-Length stands: for a HEAD it is the size of the body not sent, and a 204 or
        // 304 must not get one.
        if (body.size() > 0 && !response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) HttpUtil.setContentLength(response, body.size());
        HttpUtil.setKeepAlive(response, keepAlive);
        return response;
    }

    private static HttpResponseStatus status(Header header) {
        return header.getReason().isEmpty() ? HttpResponseStatus.valueOf(header.getStatus())
                : HttpResponseStatus.valueOf(header.getStatus(), header.getReason());
    }

    private static void copyHeaders(Header header, HttpResponse response) {
        var options = new HashSet<String>();
        header.getHeadersMap().forEach((k, v) -> {
            if (k.equalsIgnoreCase("connection")) options.addAll(HttpRules.connectionOptions(v.getValueList()));
        });
        boolean upgrade = header.getStatus() == 101;
        header.getHeadersMap().forEach((k, v) -> {
            if (!HttpRules.endsAtHop(k, options, upgrade) && !NEVER_FORWARDED.contains(k.toLowerCase(Locale.ROOT))) {
                response.headers().add(k, v.getValueList());
            }
        });
    }
}
