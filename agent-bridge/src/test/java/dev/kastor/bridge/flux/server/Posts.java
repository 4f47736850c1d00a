package dev.kastor.bridge.flux.server;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * POSTs to KAS's API port, as GitLab, a registry or {@code kastor artifact push --notify} send them, on one client: a
 * client per call would leave its kept-alive connection open, and the API port takes at most 64 per host.
 */
public final class Posts {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private Posts() {}

    /** {@code headers} as name, value, name, value…; a null value leaves that header out. */
    public static HttpResponse<String> post(URI api, String path, String body, String... headers) throws Exception {
        var b = HttpRequest.newBuilder(api.resolve(path)).POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) if (headers[i + 1] != null) b.header(headers[i], headers[i + 1]);
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GitLab's project push webhook for {@code project}. */
    public static HttpResponse<String> pushHook(URI api, String token, String event, String project) throws Exception {
        return post(api, FluxServerDefaults.GIT_PUSH_PATH,
                "{\"object_kind\":\"push\",\"project\":{\"path_with_namespace\":\"" + project + "\"}}",
                "X-Gitlab-Event", event, "X-Gitlab-Token", token, "Content-Type", "application/json");
    }

    public static HttpResponse<String> get(URI api, String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(api.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
