package dev.kastor.testing.kube;

import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.List;
import java.util.stream.Collectors;

/**
 * API discovery for the stand-in ({@link KubeStandIn#withCoreDiscovery()}), which fabric8's mock does not serve: the
 * documents a real API server gives {@code kubectl get} for the core and {@code apps} kinds, as kube-apiserver words
 * them ({@code /api}, {@code /api/v1}, {@code /apis}, {@code /apis/apps/v1}). Everything else goes to the stand-in.
 * Only the kinds listed here are discoverable: a client that asks for another group version gets the stand-in's 404.
 */
final class CoreDiscoveryStandIn extends Dispatcher {
    /** One resource of a discovery document. */
    private record Resource(String name, String kind, boolean namespaced) {
        String json() {
            return "{\"name\":\"" + name + "\",\"singularName\":\"" + kind.toLowerCase() + "\",\"namespaced\":" + namespaced + ",\"kind\":\"" + kind
                    + "\",\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]}";
        }
    }

    private static final List<Resource> CORE = List.of(new Resource("namespaces", "Namespace", false),
            new Resource("configmaps", "ConfigMap", true), new Resource("secrets", "Secret", true),
            new Resource("services", "Service", true), new Resource("serviceaccounts", "ServiceAccount", true),
            new Resource("pods", "Pod", true));
    private static final List<Resource> APPS = List.of(new Resource("deployments", "Deployment", true),
            new Resource("statefulsets", "StatefulSet", true), new Resource("daemonsets", "DaemonSet", true),
            new Resource("replicasets", "ReplicaSet", true));

    private final Dispatcher standIn;

    CoreDiscoveryStandIn(Dispatcher standIn) {
        this.standIn = standIn;
    }

    private static String list(String groupVersion, List<Resource> resources) {
        return "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"" + groupVersion + "\",\"resources\":["
                + resources.stream().map(Resource::json).collect(Collectors.joining(",")) + "]}";
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getPath().replaceAll("\\?.*", "");
        String body = switch (path) {
            case "/api" -> "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],"
                    + "\"serverAddressByClientCIDRs\":[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1\"}]}";
            case "/api/v1" -> list("v1", CORE);
            case "/apis" -> "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[{\"name\":\"apps\",\"versions\":"
                    + "[{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}],\"preferredVersion\":{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}}]}";
            case "/apis/apps/v1" -> list("apps/v1", APPS);
            default -> null;
        };
        if (body == null) return standIn.dispatch(request);
        return new MockResponse().setResponseCode(200).addHeader("Content-Type", "application/json").setBody(body);
    }
}
