package dev.kastor.oci.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Lists a repository's tags, following {@code Link: <…>; rel="next"} pages when a registry pages. */
public final class ListTagsStep {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
    private static final int MAX_PAGES = 10_000;

    private final Transport transport;
    private final Retry retry;
    private final String repository;
    private final Transport.Op op;

    ListTagsStep(Transport transport, Retry retry, String repository) {
        this.transport = transport;
        this.retry = retry;
        this.repository = repository;
        this.op = new Transport.Op("list tags of", repository, false);
    }

    public List<String> call() {
        List<String> tags = new ArrayList<>();
        String next = "/v2/" + repository + "/tags/list";
        for (int page = 0; next != null && page < MAX_PAGES; page++) {
            String path = next;
            Transport.Response r = retry.call("listing the tags of " + repository,
                    () -> transport.expect(op, "tag list", transport.get(op, transport.resolve(path), Map.of("Accept", "application/json")), 200));
            JsonNode body;
            try {
                body = JSON.readTree(r.body());
            } catch (RuntimeException e) {
                throw new RegistryException("registry " + transport.host() + " answered the tag list of " + repository
                        + " with something that is not JSON", r.status());
            }
            for (JsonNode tag : body.path("tags")) {
                tags.add(tag.asString());
            }
            next = nextPage(r.header("Link"));
        }
        return List.copyOf(tags);
    }

    private static String nextPage(String link) {
        if (link == null) {
            return null;
        }
        Matcher m = NEXT.matcher(link);
        return m.find() ? m.group(1) : null;
    }
}
