package dev.kastor.bridge;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * For the tunnel bench: the part of a Kubernetes API server that {@code kubectl get pods -A} uses, over HTTPS, serving
 * {@code count} realistic pods (labels, owner, containers with probes and resources, status) from memory, as the API
 * server's watch cache does. Discovery ({@code /api}, {@code /api/v1}, {@code /apis}) and LIST with {@code limit} and
 * {@code continue} pages, as kubectl asks for them (500 pods a page by default). Like kube-apiserver, an answer over
 * 128 KiB to a client that accepts gzip is gzipped at level 1, as it is written (a page of 500 pods is about 2 MiB).
 */
final class PodListApi implements AutoCloseable {
    private static final int GZIP_THRESHOLD = 128 * 1024;
    private final List<byte[]> pods = new ArrayList<>();
    private final com.sun.net.httpserver.HttpsServer server;
    private long bytes;

    PodListApi(int count, javax.net.ssl.SSLContext tls) throws IOException {
        for (int i = 0; i < count; i++) {
            byte[] pod = pod(i).getBytes(StandardCharsets.UTF_8);
            pods.add(pod);
            bytes += pod.length + 1;
        }
        server = com.sun.net.httpserver.HttpsServer.create(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 128);
        server.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/api/v1/pods", this::list);
        server.createContext("/api/v1", ex -> json(ex, """
                {"kind":"APIResourceList","apiVersion":"v1","groupVersion":"v1","resources":[
                {"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["create","delete","get","list","patch","update","watch"],"shortNames":["po"],"categories":["all"]}]}"""));
        server.createContext("/apis", ex -> json(ex, "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[]}"));
        server.createContext("/api", ex -> json(ex, "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1:6443\"}]}"));
        server.start();
    }

    /** Bytes of all pods gzipped as kube-apiserver sends them (level 1): what crosses the tunnel for one whole LIST. */
    long gzippedBytes() throws IOException {
        var counted = new java.io.OutputStream() {
            long n;

            @Override
            public void write(int b) {
                n++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                n += len;
            }
        };
        try (var gz = new java.util.zip.GZIPOutputStream(counted, 64 * 1024) {
            {
                def.setLevel(1);
            }
        }) {
            for (byte[] pod : pods) {
                gz.write(pod);
                gz.write(',');
            }
        }
        return counted.n;
    }

    java.net.URI url() {
        return java.net.URI.create("https://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
    }

    int count() {
        return pods.size();
    }

    /** Bytes of all pods as one LIST sends them. */
    long bytes() {
        return bytes;
    }

    private void list(HttpExchange ex) throws IOException {
        try (ex) {
            String query = ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery();
            int limit = Integer.MAX_VALUE;
            int from = 0;
            for (String p : query.split("&")) {
                if (p.startsWith("limit=")) limit = Integer.parseInt(p.substring(6));
                if (p.startsWith("continue=")) from = Integer.parseInt(new String(Base64.getUrlDecoder().decode(
                        java.net.URLDecoder.decode(p.substring(9), StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
            }
            int to = (int) Math.min(pods.size(), (long) from + limit);
            String more = to < pods.size()
                    ? ",\"continue\":\"" + Base64.getUrlEncoder().encodeToString(String.valueOf(to).getBytes(StandardCharsets.UTF_8))
                            + "\",\"remainingItemCount\":" + (pods.size() - to)
                    : "";
            ex.getResponseHeaders().set("Content-Type", "application/json");
            String accepts = ex.getRequestHeaders().getFirst("Accept-Encoding");
            long size = 0;
            for (int i = from; i < to; i++) size += pods.get(i).length + 1;
            boolean gzip = accepts != null && accepts.contains("gzip") && size > GZIP_THRESHOLD;
            if (gzip) {
                ex.getResponseHeaders().set("Content-Encoding", "gzip");
                ex.getResponseHeaders().add("Vary", "Accept-Encoding");
            }
            ex.sendResponseHeaders(200, 0); // chunked, as the API server streams a LIST
            java.io.OutputStream body = ex.getResponseBody();
            if (gzip) body = new java.util.zip.GZIPOutputStream(body, 64 * 1024) {
                {
                    def.setLevel(1); // kube-apiserver's defaultGzipContentEncodingLevel
                }
            };
            var out = new java.io.BufferedOutputStream(body, 64 * 1024);
            out.write(("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"90210\"" + more + "},\"items\":[")
                    .getBytes(StandardCharsets.UTF_8));
            for (int i = from; i < to; i++) {
                if (i > from) out.write(',');
                out.write(pods.get(i));
            }
            out.write("]}\n".getBytes(StandardCharsets.UTF_8));
            out.close();
        }
    }

    private static void json(HttpExchange ex, String body) throws IOException {
        Upstream.send(ex, 200, "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    private static String pod(int i) {
        String ns = "team-" + (i % 40);
        String app = "svc-" + (i % 250);
        String name = app + "-7d9f8c6b5-" + Integer.toString(100000 + i, 36);
        // Identifiers as random as real ones (uids, image and container digests): they are what gzip cannot shrink.
        var random = new java.util.Random(i);
        String uid = java.util.UUID.nameUUIDFromBytes(new byte[] {(byte) i, (byte) (i >> 8), (byte) (i >> 16)}).toString();
        return """
                {"metadata":{"name":"%1$s","generateName":"%2$s-7d9f8c6b5-","namespace":"%3$s","uid":"%4$s","resourceVersion":"%5$d",\
                "creationTimestamp":"2026-11-20T08:%6$02d:%7$02dZ","labels":{"app.kubernetes.io/name":"%2$s","app.kubernetes.io/part-of":"shop",\
                "pod-template-hash":"7d9f8c6b5"},"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-20T08:00:00Z"},\
                "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"%2$s-7d9f8c6b5","uid":"%4$s","controller":true,"blockOwnerDeletion":true}]},\
                "spec":{"volumes":[{"name":"kube-api-access-%8$s","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},\
                {"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}}],"defaultMode":420}}],\
                "containers":[{"name":"app","image":"registry.example.com/shop/%2$s:1.4.%9$d","ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],\
                "env":[{"name":"LOG_LEVEL","value":"info"},{"name":"POD_NAME","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"}}}],\
                "resources":{"limits":{"cpu":"500m","memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}},\
                "volumeMounts":[{"name":"kube-api-access-%8$s","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],\
                "livenessProbe":{"httpGet":{"path":"/healthz","port":"http","scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},\
                "readinessProbe":{"httpGet":{"path":"/readyz","port":"http","scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":5,"successThreshold":1,"failureThreshold":3},\
                "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],\
                "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default",\
                "nodeName":"node-%10$d","securityContext":{},"schedulerName":"default-scheduler","tolerations":[\
                {"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},\
                {"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],\
                "priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},\
                "status":{"phase":"Running","conditions":[{"type":"Initialized","status":"True","lastTransitionTime":"2026-11-20T08:00:01Z"},\
                {"type":"Ready","status":"True","lastTransitionTime":"2026-11-20T08:00:09Z"},{"type":"ContainersReady","status":"True",\
                "lastTransitionTime":"2026-11-20T08:00:09Z"},{"type":"PodScheduled","status":"True","lastTransitionTime":"2026-11-20T08:00:00Z"}],\
                "hostIP":"10.0.%10$d.1","podIP":"10.244.%10$d.%11$d","podIPs":[{"ip":"10.244.%10$d.%11$d"}],"startTime":"2026-11-20T08:00:00Z",\
                "containerStatuses":[{"name":"app","state":{"running":{"startedAt":"2026-11-20T08:00:05Z"}},"lastState":{},"ready":true,\
                "restartCount":0,"image":"registry.example.com/shop/%2$s:1.4.%9$d","imageID":"registry.example.com/shop/%2$s@sha256:%12$s",\
                "containerID":"containerd://%13$s","started":true}],"qosClass":"Burstable"}}"""
                .formatted(name, app, ns, uid, 1000 + i, (i / 60) % 60, i % 60, Integer.toString(i, 36), i % 10, i % 50, i % 250,
                        hex(random, 32), hex(random, 32));
    }

    private static String hex(java.util.Random random, int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        return java.util.HexFormat.of().formatHex(b);
    }
}
