package dev.kastor.steps.flux;

import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.k8s.AgentFlags;
import dev.kastor.steps.k8s.KubeConnection;
import dev.kastor.steps.k8s.ObjectRef;
import java.util.LinkedHashMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "reconcile", description = {"Ask a Flux controller to reconcile an object now (sets reconcile.fluxcd.io/requestedAt) and return.", "",
        "Kinds: ocirepository, gitrepository, helmrepository, helmchart, bucket, kustomization (ks), helmrelease (hr), receiver,",
        "imagerepository, imageupdateautomation.",
        "Example: kastor flux reconcile kustomization podinfo -n flux-system", ""})
final class ReconcileCommand implements Callable<Integer> {
    private final Context ctx;

    @Parameters(index = "0", paramLabel = "KIND", description = "Flux kind, e.g. kustomization, ocirepository, helmrelease.")
    String kind;

    @Parameters(index = "1", paramLabel = "NAME", description = "Object name, or NAMESPACE/NAME.")
    String name;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS", defaultValue = "flux-system", description = "Namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Mixin AgentFlags agent;
    @Mixin OutputFlags output;

    ReconcileCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        FluxKind k = FluxKind.parse(kind);
        ObjectRef ref = WaitCommand.ref(k, name, namespace);
        var console = new Console(ctx, output.json());
        try (KubeConnection conn = agent.connect(ctx, console)) {
            String at = Reconcile.now();
            Reconcile.request(conn, ref, at);
            var json = new LinkedHashMap<String, Object>();
            json.put("kind", ref.kind());
            json.put("namespace", ref.namespace());
            json.put("name", ref.name());
            json.put("requestedAt", at);
            output.emit(ctx, "requested reconcile of " + ref + " (" + Reconcile.ANNOTATION + "=" + at + ")", json, null);
        }
        return 0;
    }
}
