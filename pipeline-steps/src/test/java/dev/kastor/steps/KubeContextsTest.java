package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kastor kube contexts} and agent selection, on kubeconfigs shaped like the one GitLab injects (no cluster needed). */
class KubeContextsTest {
    private static final String TOKEN = "job-token-s3cr3t-4711";

    @TempDir
    Path tmp;

    private Path kubeconfig(Map<String, Long> contexts) {
        var sb = new StringBuilder("apiVersion: v1\nkind: Config\nclusters:\n- name: gitlab\n  cluster:\n    server: https://kas.gitlab.example.com/k8s-proxy\nusers:\n");
        contexts.values().stream().distinct().forEach(id -> sb.append("- name: agent:").append(id).append("\n  user:\n    token: ci:").append(id).append(':').append(TOKEN).append('\n'));
        sb.append("contexts:\n");
        contexts.forEach((c, id) -> sb.append("- name: ").append(c).append("\n  context:\n    cluster: gitlab\n    user: agent:").append(id).append('\n'));
        Path f = tmp.resolve("kubeconfig");
        try {
            Files.writeString(f, sb.toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return f;
    }

    @Test
    void listsAgentContextsWithProjectAgentNameAndIdButNeverTheToken() {
        var contexts = new LinkedHashMap<String, Long>();
        contexts.put("bars/infra:prod", 42L);
        contexts.put("bars/infra/agents:staging", 7L);
        Path kc = kubeconfig(contexts);

        var text = KastorRun.in(tmp).env("KUBECONFIG", kc.toString()).run("kube", "contexts");
        var json = KastorRun.in(tmp).env("KUBECONFIG", kc.toString()).run("kube", "contexts", "--output", "json");

        assertThat(text.exit()).as(text.toString()).isZero();
        assertThat(text.out()).contains("bars/infra:prod", "bars/infra/agents:staging", "42", "https://kas.gitlab.example.com/k8s-proxy");
        assertThat(json.json()).hasSize(2);
        assertThat(json.json().get(1).get("project").asString()).isEqualTo("bars/infra/agents");
        assertThat(json.json().get(1).get("agent").asString()).isEqualTo("staging");
        assertThat(json.json().get(1).get("agentId").asString()).isEqualTo("7");
        assertThat(text.out() + text.err() + json.out() + json.err()).doesNotContain(TOKEN);
    }

    @Test
    void missingKubeconfigSaysHowAJobGetsOne() {
        var r = KastorRun.in(tmp).env("KUBECONFIG", tmp.resolve("nope").toString()).run("kube", "contexts");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("no kubeconfig at", "ci_access");
    }

    @Test
    void emptyKubeconfigFileSaysWhichFileAndHowToFix() throws Exception {
        Path empty = Files.writeString(tmp.resolve("empty-kubeconfig"), "");
        Path onlyComments = Files.writeString(tmp.resolve("commented-kubeconfig"), "# written by a job that had no agent\n");

        for (Path kc : new Path[] {empty, onlyComments}) {
            var contexts = KastorRun.in(tmp).env("KUBECONFIG", kc.toString()).run("kube", "contexts");
            var reconcile = KastorRun.in(tmp).env("KUBECONFIG", kc.toString()).run("flux", "reconcile", "kustomization", "podinfo");

            for (var r : new KastorRun.Result[] {contexts, reconcile}) {
                assertThat(r.exit()).as(r.toString()).isEqualTo(1);
                assertThat(r.errLines()).as(r.toString()).hasSize(1);
                assertThat(r.err()).as(r.toString()).contains("kubeconfig " + kc + " (from KUBECONFIG=" + kc + ") is empty",
                        "ci_access", "kastor kube kubeconfig", "--kubeconfig FILE").doesNotContain("Exception", "unexpected", "null");
            }
        }
    }

    @Test
    void emptyFileInAKubeconfigListIsSkippedLikeKubectlDoes() throws Exception {
        Path empty = Files.writeString(tmp.resolve("empty-kubeconfig"), "");
        Path kc = kubeconfig(Map.of("bars/infra:prod", 42L));

        var r = KastorRun.in(tmp).env("KUBECONFIG", empty + ":" + kc).run("kube", "contexts");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("bars/infra:prod");
    }

    @Test
    void kubeconfigWithoutContextsSaysSoNamingTheFileAndHowToGetOne() throws Exception {
        Path kc = Files.writeString(tmp.resolve("kubeconfig"), "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\n");
        Path empty = Files.writeString(tmp.resolve("empty-kubeconfig"), "");

        var any = KastorRun.in(tmp).env("KUBECONFIG", kc.toString()).run("flux", "reconcile", "kustomization", "podinfo");
        var named = KastorRun.in(tmp).env("KUBECONFIG", kc + ":" + empty).run("flux", "reconcile", "kustomization", "podinfo", "--agent", "bars/infra:prod");

        assertThat(any.exit()).as(any.toString()).isEqualTo(1);
        assertThat(any.err()).as(any.toString()).contains("KUBECONFIG=" + kc + " has no contexts", "ci_access", "kastor kube kubeconfig");
        assertThat(named.exit()).as(named.toString()).isEqualTo(1);
        assertThat(named.err()).as(named.toString()).contains("has no contexts (--agent asks for 'bars/infra:prod')", "empty: " + empty,
                "kastor kube kubeconfig");
    }

    @Test
    void withSeveralAgentsACommandNeedsAgentAndNamesTheChoices() {
        var contexts = new LinkedHashMap<String, Long>();
        contexts.put("bars/infra:prod", 42L);
        contexts.put("bars/infra:staging", 7L);
        Path kc = kubeconfig(contexts);

        var r = KastorRun.in(tmp).env("KUBECONFIG", kc.toString()).run("flux", "reconcile", "kustomization", "podinfo");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("2 agent contexts", "bars/infra:prod", "bars/infra:staging", "--agent", "KASTOR_AGENT");
        assertThat(r.err()).doesNotContain(TOKEN);
    }

    @Test
    void unknownAgentIsRefusedWithTheContextsThereAre() {
        Path kc = kubeconfig(Map.of("bars/infra:prod", 42L));

        var r = KastorRun.in(tmp).env("KUBECONFIG", kc.toString()).env("KASTOR_AGENT", "bars/infra:nope")
                .run("flux", "reconcile", "kustomization", "podinfo");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("no context 'bars/infra:nope' (from KASTOR_AGENT) in KUBECONFIG=" + kc + "; it has: bars/infra:prod");
    }
}
