package dev.kastor.steps.flux;

import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.UsageException;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.FromDotenv;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.k8s.AgentFlags;
import dev.kastor.steps.k8s.Durations;
import dev.kastor.steps.k8s.KubeConnection;
import dev.kastor.steps.k8s.ObjectRef;
import dev.kastor.steps.k8s.SyncListener;
import dev.kastor.steps.k8s.Verdict;
import dev.kastor.steps.status.StatusFlags;
import dev.kastor.steps.status.StatusReporter;
import io.fabric8.kubernetes.api.model.Event;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "wait", abbreviateSynopsis = true, description = {
        "Wait until Flux has applied exactly the pushed digest (or, with --git, the job's commit).", "",
        "Done when the OCIRepository's status.artifact.revision ends with the digest,",
        "then each Kustomization's lastAppliedRevision equals it (observedGeneration == generation, Ready=True);",
        "HelmRelease: lastAttemptedRevisionDigest. Watches the objects (no polling) and prints Flux's events for them.",
        "Fails at once on Ready=False or Stalled=True (exit 1); on timeout says what was last seen (exit 4).", "",
        "The OCIRepository is --source, or the one whose spec.url is the artifact's repository (--url, default",
        "KASTOR_ARTIFACT_URL); the Kustomizations/HelmReleases are --kustomization/--helmrelease, or every one whose",
        "sourceRef/chartRef is it.", "",
        "With --git (or --commit) it follows a GitRepository instead: done when its revision is <ref>@sha1:<commit>",
        "and every Kustomization fed by it applied that revision. The GitRepository is --source, or the one whose",
        "spec.url is the project's HTTP or SSH clone URL (--url, default CI_PROJECT_URL).", "",
        "Examples:",
        "  kastor flux wait --digest $KASTOR_ARTIFACT_DIGEST --reconcile --report",
        "  kastor flux wait --digest sha256:… --source flux-system/podinfo --kustomization podinfo --timeout 10m",
        "  kastor flux wait --git --reconcile --report", ""})
final class WaitCommand implements Callable<Integer> {
    private final Context ctx;

    @Option(names = "--digest", paramLabel = "sha256:…", preprocessor = FromDotenv.class,
            description = "Manifest digest the artifact step pushed (default: KASTOR_ARTIFACT_DIGEST, from its dotenv report).")
    String digest;

    @Option(names = "--source", paramLabel = "[NS/]NAME", description = "The OCIRepository, or GitRepository with --git (default: found by --url).")
    String source;

    @Option(names = "--url", paramLabel = "URL", preprocessor = FromDotenv.class,
            description = "Artifact URL oci://HOST/REPO to find the OCIRepository by (default: KASTOR_ARTIFACT_URL, from the artifact step's dotenv report);"
                    + " with --git, the project's HTTP or SSH clone URL to find the GitRepository by (default: CI_PROJECT_URL).")
    String url;

    @Option(names = "--git", description = "Follow a GitRepository instead of an OCIRepository: wait until Flux applied the commit --commit.")
    boolean git;

    @Option(names = "--commit", paramLabel = "SHA", description = "Full commit sha the GitRepository must reach (implies --git; default: CI_COMMIT_SHA).")
    String commit;

    @Option(names = "--kustomization", paramLabel = "[NS/]NAME", description = "Kustomization to wait for (repeatable; default: those fed by the source).")
    List<String> kustomizations = new ArrayList<>();

    @Option(names = "--helmrelease", paramLabel = "[NS/]NAME", description = "HelmRelease to wait for (repeatable; default: those fed by the source; not with --git).")
    List<String> helmReleases = new ArrayList<>();

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS", defaultValue = "flux-system",
            description = "Namespace of names given without one (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5m", description = "How long to wait, e.g. 90s, 10m (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--reconcile", description = "First set reconcile.fluxcd.io/requestedAt on every object, so Flux acts now, not at its next interval.")
    boolean reconcile;

    @Option(names = "--report", description = "Report each object as a GitLab commit status (external job) while waiting: pending, running, success/failed.")
    boolean report;

    @Option(names = "--status-name", paramLabel = "TEMPLATE", defaultValue = StatusReporter.DEFAULT_NAME,
            description = "Name of each reported status (default: ${DEFAULT-VALUE}), {kind}, {namespace} and {name} replaced.")
    String statusName;

    @Mixin AgentFlags agent;
    @Mixin StatusFlags status;
    @Mixin OutputFlags output;

    WaitCommand(Context ctx) {
        this.ctx = ctx;
    }

    static ObjectRef ref(FluxKind kind, String name, String defaultNamespace) {
        int slash = name.indexOf('/');
        return slash < 0 ? new ObjectRef(kind.type(), defaultNamespace, name)
                : new ObjectRef(kind.type(), name.substring(0, slash), name.substring(slash + 1));
    }

    /** What the source's revision must end with, and how the result names it: the pushed digest, or the job's commit. */
    private record Target(boolean git, String want) {
        private static final String SHA1 = "sha1:";

        FluxKind sourceKind() {
            return git ? FluxKind.GitRepository : FluxKind.OCIRepository;
        }

        /** The key that names it in the JSON output. */
        String jsonKey() {
            return git ? "commit" : "digest";
        }

        /** The commit (without {@code sha1:}), or the digest. */
        String value() {
            return git ? want.substring(SHA1.length()) : want;
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        Target target = target();
        Duration limit = Durations.parse(timeout);
        var console = new Console(ctx, false);
        // The reporter checks its token and CI variables before anything is waited for: a missing token fails the job at once.
        StatusReporter reporter = report ? status.reporter(ctx, console).nameTemplate(statusName) : null;
        try (KubeConnection conn = agent.connect(ctx, console)) {
            var discovery = new Discovery(conn);
            ObjectRef src = source(target, discovery, console);
            List<ObjectRef> dependents = dependents(src, discovery, console);
            SyncListener listener = new ConsoleListener(console);
            if (reporter != null) listener = SyncListener.both(listener, reporter);
            Map<ObjectRef, Verdict> result;
            var wait = new FluxWait(conn, listener);
            console.info("waiting up to " + Durations.format(limit) + " for " + target.want() + (reconcile ? " (reconcile requested)" : ""));
            try {
                result = wait.run(new FluxWait.Plan(src, dependents, target.want(), limit, reconcile));
            } finally {
                if (reporter != null) reporter.close();
            }
            emit(target, wait.sourceRevision(), result);
        }
        return 0;
    }

    private Target target() {
        if (git || commit != null) {
            if (digest != null) throw new UsageException("--digest is for an OCIRepository and --git/--commit for a GitRepository: give one of them");
            if (!helmReleases.isEmpty()) throw new UsageException("--helmrelease is for OCI sources (chartRef); with --git give --kustomization only");
            String sha = commit != null ? commit : ctx.env("CI_COMMIT_SHA");
            if (sha == null) throw new UsageException("which commit? pass --commit SHA or run in GitLab CI (CI_COMMIT_SHA is empty)");
            if (!sha.matches("[0-9a-fA-F]{40}")) throw new UsageException("--commit " + sha + " is not a full 40-hex commit sha (Flux's revision names the full sha)");
            String lower = sha.toLowerCase(Locale.ROOT);
            return new Target(true, Target.SHA1 + lower);
        }
        String want = digest != null ? digest : ctx.env("KASTOR_ARTIFACT_DIGEST");
        if (want == null) {
            throw new UsageException(UsageException.emptyFromDotenv("no digest to wait for (no --digest sha256:…, and KASTOR_ARTIFACT_DIGEST is empty)",
                    "KASTOR_ARTIFACT_DIGEST"));
        }
        if (!want.matches("sha256:[0-9a-f]{64}")) throw new UsageException("--digest " + want + " is not a sha256:<64 hex> manifest digest");
        return new Target(false, want);
    }

    private ObjectRef source(Target target, Discovery discovery, Console console) {
        if (source != null) return ref(target.sourceKind(), source, namespace);
        if (target.git()) {
            String u = url != null ? url : ctx.env("CI_PROJECT_URL");
            if (u == null) throw new UsageException("which GitRepository? pass --source NS/NAME, or --url with the project's clone URL (CI_PROJECT_URL is empty)");
            ObjectRef src = discovery.gitSourceByUrl(u, namespace);
            console.info("found " + src + " cloning " + CloneUrls.key(u));
            return src;
        }
        String u = url != null ? url : ctx.env("KASTOR_ARTIFACT_URL");
        if (u == null) {
            throw new UsageException(UsageException.emptyFromDotenv("which OCIRepository? pass --source NS/NAME, or --url oci://HOST/REPO"
                    + " (KASTOR_ARTIFACT_URL is empty)", "KASTOR_ARTIFACT_URL"));
        }
        ObjectRef src = discovery.sourceByUrl(u, namespace);
        console.info("found " + src + " pulling " + Discovery.repositoryUrl(u));
        return src;
    }

    private List<ObjectRef> dependents(ObjectRef src, Discovery discovery, Console console) {
        var dependents = new ArrayList<ObjectRef>();
        kustomizations.forEach(k -> dependents.add(ref(FluxKind.Kustomization, k, namespace)));
        helmReleases.forEach(h -> dependents.add(ref(FluxKind.HelmRelease, h, namespace)));
        if (dependents.isEmpty()) {
            dependents.addAll(discovery.dependents(src));
            if (dependents.isEmpty()) console.warn("no Kustomization or HelmRelease uses " + src + ": waiting for the source only");
            else console.info("fed by it: " + dependents);
        }
        return dependents;
    }

    private void emit(Target target, String revision, Map<ObjectRef, Verdict> result) {
        var json = new LinkedHashMap<String, Object>();
        json.put(target.jsonKey(), target.value());
        json.put("revision", revision);
        var objects = new ArrayList<Map<String, Object>>();
        result.forEach((ref, v) -> objects.add(Map.of("kind", ref.kind(), "namespace", ref.namespace(), "name", ref.name(), "message", v.reason())));
        json.put("objects", objects);
        String what = target.git() ? "commit " + target.value() : target.value();
        output.emit(ctx, "synced " + what + ": " + String.join(", ", result.keySet().stream().map(ObjectRef::toString).toList()), json,
                Map.of("KASTOR_FLUX_REVISION", String.valueOf(revision)));
    }

    /** Prints each change as one line, and Flux's events for the waited objects. */
    private record ConsoleListener(Console console) implements SyncListener {
        @Override
        public void changed(ObjectRef ref, Verdict v) {
            console.info(String.format("  %-8s %s: %s", v.phase().name().toLowerCase(Locale.ROOT), ref, v.reason()));
        }

        @Override
        public void event(ObjectRef ref, Event e) {
            console.info("  event    " + ref + ": " + e.getType() + " " + e.getReason() + ": " + e.getMessage());
        }
    }
}
