package dev.kastor.steps.kube;

import dev.kastor.oci.InvalidInputException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Apply order: CRDs, then Namespaces, then the rest in input order, except that an object whose
 * {@code config.kubernetes.io/depends-on} annotation names others of the input comes after them. The annotation is
 * cli-utils' (kpt's "depends-on" reference): comma-separated {@code <group>/namespaces/<namespace>/<kind>/<name>} for
 * namespaced objects, {@code <group>/<kind>/<name>} for cluster-scoped ones, the core group empty. A reference to an
 * object outside the input orders nothing (cli-utils would wait for it to exist). A cycle is an error listing it.
 */
final class DependsOn {
    static final String ANNOTATION = "config.kubernetes.io/depends-on";

    private DependsOn() {}

    /** {@code planned} in apply order; throws naming every malformed reference, or one cycle. */
    static List<Applier.Planned> order(List<Applier.Planned> planned) {
        var byRef = new HashMap<String, Integer>();
        for (int i = 0; i < planned.size(); i++) byRef.put(reference(planned.get(i).entry()), i);
        Map<Integer, List<Integer>> needs = needs(planned, byRef);
        var waiting = new int[planned.size()];
        var dependents = new HashMap<Integer, List<Integer>>();
        needs.forEach((i, deps) -> {
            waiting[i] = deps.size();
            deps.forEach(d -> dependents.computeIfAbsent(d, k -> new ArrayList<>()).add(i));
        });
        // Ready objects leave by rank, then input order: the rule without annotations.
        var ready = new PriorityQueue<Integer>(Comparator.comparingInt((Integer i) -> planned.get(i).manifest().rank()).thenComparingInt(i -> i));
        for (int i = 0; i < planned.size(); i++) if (waiting[i] == 0) ready.add(i);
        var out = new ArrayList<Applier.Planned>();
        while (!ready.isEmpty()) {
            int i = ready.poll();
            out.add(planned.get(i));
            for (int d : dependents.getOrDefault(i, List.of())) if (--waiting[d] == 0) ready.add(d);
        }
        if (out.size() < planned.size()) throw new InvalidInputException("depends-on cycle, nothing applied: " + cycle(planned, needs, waiting));
        return out;
    }

    private static Map<Integer, List<Integer>> needs(List<Applier.Planned> planned, Map<String, Integer> byRef) {
        var needs = new LinkedHashMap<Integer, List<Integer>>();
        var bad = new ArrayList<String>();
        for (int i = 0; i < planned.size(); i++) {
            var annotations = planned.get(i).manifest().object().getMetadata().getAnnotations();
            String value = annotations == null ? null : annotations.get(ANNOTATION);
            if (value == null || value.isBlank()) continue;
            var deps = new ArrayList<Integer>();
            for (String ref : value.split(",")) {
                String r = ref.strip();
                String[] parts = r.split("/", -1);
                if (!(parts.length == 3 || parts.length == 5 && parts[1].equals("namespaces"))) {
                    bad.add(planned.get(i).manifest().where() + ": " + ANNOTATION + " '" + r
                            + "' is not <group>/namespaces/<namespace>/<kind>/<name> nor <group>/<kind>/<name>");
                }
                Integer d = byRef.get(r);
                if (d != null && !deps.contains(d)) deps.add(d);
            }
            needs.put(i, deps);
        }
        if (!bad.isEmpty()) throw new InvalidInputException(String.join("\n", bad));
        return needs;
    }

    /** One cycle among the objects still waiting: follow what each needs until an object repeats. */
    private static String cycle(List<Applier.Planned> planned, Map<Integer, List<Integer>> needs, int[] waiting) {
        var path = new ArrayList<Integer>();
        int at = 0;
        while (waiting[at] == 0) at++;
        while (!path.contains(at)) {
            path.add(at);
            at = needs.get(at).stream().filter(d -> waiting[d] > 0).findFirst().orElseThrow();
        }
        var names = new ArrayList<String>();
        for (int i : path.subList(path.indexOf(at), path.size())) names.add(planned.get(i).manifest().id());
        names.add(planned.get(at).manifest().id());
        return String.join(" -> ", names);
    }

    /** The annotation's form of an object's reference. */
    static String reference(Inventory.Entry e) {
        return e.group() + "/" + (e.namespaced() ? "namespaces/" + e.namespace() + "/" : "") + e.kind() + "/" + e.name();
    }
}
