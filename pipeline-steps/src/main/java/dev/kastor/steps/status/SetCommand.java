package dev.kastor.steps.status;

import dev.kastor.oci.UsageException;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import java.util.LinkedHashMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "set", description = {"Post one commit status on the pipeline's commit.", "",
        "Example: kastor status set --state success --name deploy/prod --description 'rolled out' --target-url $CI_ENVIRONMENT_URL", ""})
final class SetCommand implements Callable<Integer> {
    private final Context ctx;

    @Option(names = "--state", required = true, paramLabel = "STATE", description = "pending, running, success, failed, canceled or skipped.")
    String state;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "Status name, shown as an external job (e.g. flux/kustomization/flux-system/app).")
    String name;

    @Option(names = "--description", paramLabel = "TEXT", description = "Short description (GitLab keeps 255 characters).")
    String description;

    @Mixin StatusFlags flags;
    @Mixin OutputFlags output;

    SetCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws InterruptedException {
        if (!CommitStatus.STATES.contains(state)) throw new UsageException("--state " + state + ": one of " + String.join(", ", CommitStatus.STATES));
        CommitStatus t = flags.template(ctx);
        var s = new CommitStatus(t.sha(), state, name, t.ref(), t.targetUrl(), description, t.pipelineId());
        var console = new Console(ctx, output.json());
        boolean recorded = flags.client(ctx, console).post(s);
        console.info(recorded ? "posted" : "GitLab already had this state; nothing changed");
        var json = new LinkedHashMap<String, Object>();
        json.put("sha", s.sha());
        json.put("name", name);
        json.put("state", state);
        json.put("recorded", recorded);
        output.emit(ctx, "status " + name + " = " + state + " on " + s.sha(), json, null);
        return 0;
    }
}
