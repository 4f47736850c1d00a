package dev.kastor.steps.kube;

import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.k8s.AgentFlags;
import dev.kastor.steps.k8s.KubeConnection;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

@Command(name = "diff", description = {
        "Show what 'kastor kube apply' would change.", "",
        "Each object is server-side applied as a dry run and compared with the live one.",
        "Exit 3 when there are differences, 0 when none (like kubectl diff).", "",
        "Example: kastor kube diff deploy/", ""})
final class DiffCommand implements Callable<Integer> {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final YAMLMapper YAML = YAMLMapper.builder().build();

    private final Context ctx;

    @Mixin Inputs inputs;
    @Mixin AgentFlags agent;
    @Mixin OutputFlags output;

    DiffCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        var console = new Console(ctx, output.json());
        ManifestReader reader = inputs.read(ctx, console);
        try (KubeConnection conn = agent.connect(ctx, console)) {
            var applier = new Applier(conn, console);
            String ns = inputs.namespace != null ? inputs.namespace : conn.defaultNamespace();
            var changed = new ArrayList<Map<String, Object>>();
            var text = new StringBuilder();
            for (Applier.Planned p : applier.plan(reader.manifests(), reader.problems(), ns)) {
                var meta = p.manifest().object().getMetadata();
                var res = applier.resource(p.type(), meta.getNamespace(), meta.getName());
                GenericKubernetesResource live;
                GenericKubernetesResource wouldBe;
                try {
                    live = res.get();
                    wouldBe = applier.item(p.type(), p.manifest().object()).dryRun().fieldManager(Applier.FIELD_MANAGER).forceConflicts().serverSideApply();
                } catch (KubernetesClientException e) {
                    throw conn.explain("dry-run apply of " + p.manifest().id(), e);
                }
                List<String> diff = LineDiff.diff(render(live), render(wouldBe));
                if (diff.isEmpty()) continue;
                var m = new LinkedHashMap<String, Object>();
                m.put("object", p.manifest().id());
                m.put("change", live == null ? "create" : "update");
                m.put("diff", diff);
                changed.add(m);
                text.append("--- live ").append(p.manifest().id()).append('\n').append("+++ applied ").append(p.manifest().id()).append('\n');
                diff.forEach(l -> text.append(l).append('\n'));
            }
            return output.emitDiff(ctx, changed.isEmpty(), changed.isEmpty() ? "no differences" : text.toString().stripTrailing(), Map.of("changed", changed));
        }
    }

    /** YAML of an object without what the server keeps for itself (managedFields, resourceVersion, status, ...). */
    @SuppressWarnings("unchecked")
    static List<String> render(GenericKubernetesResource o) {
        if (o == null) return List.of();
        Map<String, Object> map = JSON.convertValue(o, Map.class);
        map.remove("status");
        if (map.get("metadata") instanceof Map<?, ?> meta) {
            for (String k : List.of("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink")) meta.remove(k);
        }
        return List.of(YAML.writeValueAsString(map).split("\n"));
    }
}
