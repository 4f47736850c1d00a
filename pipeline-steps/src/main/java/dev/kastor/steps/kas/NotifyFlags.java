package dev.kastor.steps.kas;

import dev.kastor.oci.UsageException;
import dev.kastor.steps.cli.Context;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --notify}: after a push, tell a self-hosted Kastor KAS ({@code POST /api/v1/flux/oci-push} on its API port,
 * with the job's token) so the agents the job may use call the Flux Receivers of the OCIRepository objects following
 * the artifact, and Flux reconciles at once instead of at its {@code spec.interval}.
 */
public final class NotifyFlags {
    @Option(names = "--notify", description = {"After the push, tell KAS (--kas-api) so the agents this job may use call the Flux",
            "Receivers of OCIRepository objects following the artifact: Flux reconciles at once. Needs CI_JOB_TOKEN."})
    boolean notify;

    @Option(names = "--kas-api", paramLabel = "URL", description = "KAS API address (port 8153) for --notify, default: $KASTOR_KAS_API_URL")
    String kasApi;

    @Option(names = "--kas-ca", paramLabel = "FILE", description = "CA certificate (PEM) of KAS's API port when a private CA signed it (--notify)")
    String kasCa;

    /** What a notification needs, checked before anything is pushed; null without {@code --notify}. */
    public Notifier prepare(Context ctx, boolean toRegistry) {
        if (!notify) return null;
        if (!toRegistry) throw new UsageException("--notify tells KAS of a push to a registry: give an oci://HOST/REPO:TAG target");
        return new Notifier(new KasApi(KasApi.address(kasApi, ctx.env("KASTOR_KAS_API_URL")), kasCa == null ? null : ctx.path(kasCa), "--kas-ca"), KasApi.jobToken(ctx.env("CI_JOB_TOKEN")));
    }

    /** Tells KAS of one push. */
    public record Notifier(KasApi kas, String jobToken) {
        /** {@code repository} is {@code HOST/REPO}; answers what KAS said, for the summary and {@code --output json}. */
        public Map<String, Object> pushed(String repository, String digest, String tag) throws InterruptedException {
            var body = new LinkedHashMap<String, Object>();
            body.put("url", "oci://" + repository);
            body.put("digest", digest);
            body.put("tag", tag == null ? "" : tag);
            var answer = kas.post("/api/v1/flux/oci-push", jobToken, body, 202, "take the push notification");
            return Map.of("agents", answer.path("agents").asInt());
        }

        @Override
        public String toString() {
            return "Notifier[" + kas.url() + "]";
        }
    }
}
