package dev.kastor.steps.kube;

import dev.kastor.oci.InvalidInputException;
import dev.kastor.steps.k8s.KubeConnection;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What an apply put into the cluster, kept in the cluster like cli-utils' ConfigMap inventory: a ConfigMap
 * {@code kastor-inventory-<name>} listing every object, and on every object the annotation
 * {@code config.k8s.io/owning-inventory: <name>}. Prune deletes only objects that are in the previous inventory,
 * no longer in the input, and still carry this inventory's annotation, never anything found by labels alone.
 */
final class Inventory {
    static final String OWNER_ANNOTATION = "config.k8s.io/owning-inventory";
    static final String LABEL = "kastor.dev/inventory";

    /** One inventoried object: enough to find it again without discovery. */
    record Entry(String group, String version, String kind, String plural, boolean namespaced, String namespace, String name)
            implements Comparable<Entry> {
        String line() {
            return String.join("|", group, version, kind, plural, String.valueOf(namespaced), namespace == null ? "" : namespace, name);
        }

        /** Its resource type, for requests: the inventory keeps enough that no discovery is needed. */
        ResourceDefinitionContext type() {
            return new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version).withKind(kind).withPlural(plural).withNamespaced(namespaced).build();
        }

        static Entry parse(String line) {
            String[] p = line.split("\\|", -1);
            return new Entry(p[0], p[1], p[2], p[3], Boolean.parseBoolean(p[4]), p[5].isEmpty() ? null : p[5], p[6]);
        }

        @Override
        public int compareTo(Entry o) {
            return line().compareTo(o.line());
        }

        @Override
        public String toString() {
            return kind + " " + (namespace == null ? "" : namespace + "/") + name;
        }
    }

    private final KubeConnection conn;
    private final String name;
    private final String namespace;

    Inventory(KubeConnection conn, String name, String namespace) {
        this.conn = conn;
        this.name = name;
        this.namespace = namespace;
    }

    String name() {
        return name;
    }

    String configMapName() {
        return "kastor-inventory-" + name;
    }

    Set<Entry> load() {
        try {
            ConfigMap cm = conn.client().configMaps().inNamespace(namespace).withName(configMapName()).get();
            var out = new TreeSet<Entry>();
            if (cm == null || cm.getData() == null || cm.getData().get("objects") == null) return out;
            Arrays.stream(cm.getData().get("objects").split("\n")).filter(l -> !l.isBlank()).map(Entry::parse).forEach(out::add);
            return out;
        } catch (KubernetesClientException e) {
            throw conn.explain("reading inventory " + namespace + "/" + configMapName(), e);
        }
    }

    void save(Set<Entry> entries) {
        var text = new StringBuilder();
        new TreeSet<>(entries).forEach(e -> text.append(e.line()).append('\n'));
        write("objects", text.toString());
    }

    /** The sources of the last applies, oldest first; refuses an inventory that does not exist (a wrong name or namespace). */
    List<InventoryHistory.Entry> history() {
        ConfigMap cm;
        try {
            cm = conn.client().configMaps().inNamespace(namespace).withName(configMapName()).get();
        } catch (KubernetesClientException e) {
            throw conn.explain("reading inventory " + namespace + "/" + configMapName(), e);
        }
        if (cm == null) {
            throw new InvalidInputException("no inventory " + name + " in namespace " + namespace + " (ConfigMap " + configMapName()
                    + "): nothing was applied with --inventory " + name + " there; is --inventory-namespace right?");
        }
        return InventoryHistory.parse(cm.getData() == null ? null : cm.getData().get(InventoryHistory.KEY), namespace + "/" + configMapName());
    }

    /** Adds {@code entry} to the history, keeping the newest {@code limit}. */
    void record(InventoryHistory.Entry entry, int limit) {
        write(InventoryHistory.KEY, InventoryHistory.render(InventoryHistory.append(history(), entry, limit)));
    }

    /** Sets one data key of the ConfigMap, creating it if needed; the other keys stay (objects and history are written apart). */
    private void write(String key, String value) {
        try {
            var op = conn.client().configMaps().inNamespace(namespace).withName(configMapName());
            ConfigMap live = op.get();
            if (live == null) {
                conn.client().configMaps().inNamespace(namespace).resource(new ConfigMapBuilder().withNewMetadata().withName(configMapName())
                        .withNamespace(namespace).addToLabels(LABEL, name).endMetadata().addToData(key, value).build()).create();
            } else {
                var data = new HashMap<String, String>(live.getData() == null ? Map.of() : live.getData());
                data.put(key, value);
                live.setData(data);
                conn.client().configMaps().inNamespace(namespace).resource(live).update();
            }
        } catch (KubernetesClientException e) {
            throw conn.explain("writing inventory " + namespace + "/" + configMapName(), e);
        }
    }
}
