package dev.kastor.bridge.statuspage.server;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The deployments {@code kastor kube apply --inventory NAME} made in an agent's cluster, read from the inventories it
 * keeps there: ConfigMaps {@code kastor-inventory-NAME}, labelled {@value #LABEL}, whose key {@code objects} lists what
 * was applied (one {@code group|version|kind|plural|namespaced|namespace|name} per line) and key {@code history} the
 * last applies as a JSON array, oldest first. The pipeline step writes both (pipeline-steps' {@code Inventory} and
 * {@code InventoryHistory}); this reads them as the cluster holds them, so an inventory that someone edited by hand says
 * what it cannot read instead of failing the agent's row.
 */
final class Deployments {
    static final String LABEL = "kastor.dev/inventory";
    /** Every inventory in every namespace, by the label the step sets (never every ConfigMap of the cluster). */
    static final String PATH = "/api/v1/configmaps?labelSelector=" + LABEL.replace("/", "%2F");

    private static final String PREFIX = "kastor-inventory-";
    /** Objects named per inventory at most: the page is refreshed every 2 s, and an inventory may list thousands. */
    static final int MAX_OBJECTS = 100;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Deployments() {}

    /** The inventories of a ConfigMap list, by namespace and name, each with its applies newest first. */
    static List<AgentView.Deployment> of(JsonNode configMapList) {
        var out = new ArrayList<AgentView.Deployment>();
        for (JsonNode cm : configMapList.path("items")) {
            String name = cm.path("metadata").path("name").asString("");
            if (!name.startsWith(PREFIX)) continue; // the label alone, on something else
            JsonNode data = cm.path("data");
            String problem = null;
            List<AgentView.Apply> applies = List.of();
            try {
                applies = applies(data.path("history").asString(""));
            } catch (JacksonException e) {
                problem = "its history (key history) is not the JSON array kastor kube apply writes: " + e.getOriginalMessage();
            } catch (IllegalArgumentException e) {
                problem = "its history (key history) is not the JSON array kastor kube apply writes: " + e.getMessage();
            }
            List<String> objects = objects(data.path("objects").asString(""));
            out.add(new AgentView.Deployment(cm.path("metadata").path("namespace").asString(""), name.substring(PREFIX.length()),
                    List.copyOf(objects.subList(0, Math.min(objects.size(), MAX_OBJECTS))), objects.size(), applies, problem));
        }
        out.sort(Comparator.comparing(AgentView.Deployment::namespace).thenComparing(AgentView.Deployment::inventory));
        return out;
    }

    /** {@code Kind namespace/name} (or {@code Kind name} for a cluster-scoped object) of each line. */
    private static List<String> objects(String lines) {
        var out = new ArrayList<String>();
        for (String line : lines.split("\n")) {
            String[] p = line.split("\\|", -1);
            if (p.length != 7) continue;
            out.add(p[2] + " " + (p[5].isEmpty() ? "" : p[5] + "/") + p[6]);
        }
        return out;
    }

    private static List<AgentView.Apply> applies(String history) {
        if (history.isBlank()) return List.of();
        JsonNode entries = JSON.readTree(history);
        if (!entries.isArray()) throw new IllegalArgumentException("not an array");
        var out = new ArrayList<AgentView.Apply>();
        for (JsonNode e : entries) {
            out.add(new AgentView.Apply(seconds(text(e, "time")), text(e, "reference"), text(e, "digest"), text(e, "revision"), text(e, "jobUrl"),
                    text(e, "user"), text(e, "origin")));
        }
        return out.reversed();
    }

    /** The step writes times to the nanosecond; the page says them to the second, as it says every other time. */
    private static String seconds(String time) {
        try {
            return time == null ? null : AgentView.seconds(java.time.Instant.parse(time));
        } catch (java.time.format.DateTimeParseException e) {
            return time; // written by hand: shown as it is
        }
    }

    private static String text(JsonNode entry, String key) {
        JsonNode v = entry.path(key);
        return v.isString() ? v.asString() : null;
    }
}
