package dev.kastor.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.testing.RegistryWithFaultProxy;
import dev.kastor.testing.kube.KubeStandIn;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code kastor kube history} and {@code kastor kube rollback} against the Kubernetes API stand-in, with artifacts
 * pushed by {@code kastor artifact push} to a real local registry: the inventory records each apply's source, and a
 * rollback re-applies an earlier artifact by digest with prune.
 */
class KubeHistoryRollbackTest {
    private static final String SHA_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private static final String SHA_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private static final String SHA_C = "cccccccccccccccccccccccccccccccccccccccc";

    @RegisterExtension
    static final KubeStandIn kube = KubeStandIn.start();

    @RegisterExtension
    static final RegistryWithFaultProxy REGISTRY = new RegistryWithFaultProxy();

    @TempDir
    Path tmp;

    private Path kubeconfig;

    @BeforeEach
    void setUp() {
        kubeconfig = kube.writeKubeconfig(tmp.resolve("kubeconfig"), Map.of("bars/infra:prod", 42L));
    }

    private KastorRun.Result kastor(String sha, String... args) {
        return KastorRun.in(tmp).env(Map.of("KUBECONFIG", kubeconfig.toString(), "CI_COMMIT_REF_NAME", "main", "CI_COMMIT_SHA", sha,
                "CI_JOB_URL", "https://gitlab.example.com/bars/app/-/jobs/" + sha.charAt(0), "GITLAB_USER_LOGIN", "dev-" + sha.charAt(0), "CI_PROJECT_URL", "https://gitlab.example.com/bars/app")).run(args);
    }

    private KastorRun.Result ok(String sha, String... args) {
        var r = kastor(sha, args);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r;
    }

    private String push(Path dir, String repoTag, String sha) {
        return ok(sha, "artifact", "push", dir.toString(), "oci://" + REGISTRY.server().host() + "/" + repoTag, "--insecure-registry",
                "--output", "json").json().get("digest").asString();
    }

    private String data(String ns, String name) {
        var cm = kube.client().configMaps().inNamespace(ns).withName(name).get();
        return cm == null ? null : cm.getData().get("k");
    }

    /** The history of an inventory in the context's namespace, default, where kube apply puts it without --inventory-namespace. */
    private List<JsonNode> history(String inventory) {
        var entries = new ArrayList<JsonNode>();
        ok(SHA_A, "kube", "history", "--inventory", inventory, "--output", "json").json().forEach(entries::add);
        return entries;
    }

    private static String cm(String name, String value) {
        return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  k: " + value + "\n";
    }

    @Test
    void rollbackAfterAnApplyWithPruneRestoresTheFirstArtifactAndPrunesWhatItLacked() throws Exception {
        Path dir = Artifacts.write(tmp.resolve("app"), Map.of("a.yaml", cm("a", "v1"), "b.yaml", cm("b", "v1")));
        String v1 = push(dir, "cycle/app:v1", SHA_A);
        String pinned1 = "oci://" + REGISTRY.server().host() + "/cycle/app@" + v1;
        ok(SHA_A, "kube", "apply", pinned1, "--insecure-registry", "-n", "cycle", "--inventory", "cycle", "--prune");
        Files.delete(dir.resolve("b.yaml"));
        Artifacts.write(dir, Map.of("a.yaml", cm("a", "v2"), "c.yaml", cm("c", "v2")));
        String v2 = push(dir, "cycle/app:v2", SHA_B);
        ok(SHA_B, "kube", "apply", "oci://" + REGISTRY.server().host() + "/cycle/app@" + v2, "--insecure-registry", "-n", "cycle",
                "--inventory", "cycle", "--prune");
        assertThat(data("cycle", "b")).isNull();

        var r = ok(SHA_B, "kube", "rollback", "--inventory", "cycle", "--insecure-registry");

        assertThat(r.err()).contains("rolling back inventory cycle to " + pinned1 + " (revision main@sha1:" + SHA_A + ")");
        assertThat(r.out()).contains("applied 2 objects, pruned 1");
        assertThat(data("cycle", "a")).isEqualTo("v1");
        assertThat(data("cycle", "b")).as("pruned by the second apply, restored").isEqualTo("v1");
        assertThat(data("cycle", "c")).as("not in the first artifact").isNull();
        var history = history("cycle");
        assertThat(history).extracting(e -> e.get("digest").asString()).containsExactly(v1, v2, v1);
        assertThat(history).extracting(e -> e.get("revision").asString())
                .containsExactly("main@sha1:" + SHA_A, "main@sha1:" + SHA_B, "main@sha1:" + SHA_A);
        assertThat(history).extracting(e -> e.get("kind").asString()).containsOnly("artifact");
        assertThat(history.get(2).get("reference").asString()).isEqualTo(pinned1);
        assertThat(history.get(2).get("namespace").asString()).isEqualTo("cycle");
        assertThat(history.get(1).get("jobUrl").asString()).isEqualTo("https://gitlab.example.com/bars/app/-/jobs/b");
        assertThat(history.get(1).get("user").asString()).as("who ran the job").isEqualTo("dev-b");
        assertThat(history.get(1).get("origin").asString()).as("the artifact's source annotation").isEqualTo("https://gitlab.example.com/bars/app");
        assertThat(history.get(0).get("time").asString()).isNotBlank();
    }

    @Test
    void historyOfADirectoryApplyRecordsTheDigestOfTheObjectsAndTheCommit() {
        Path dir = Artifacts.write(tmp.resolve("docs"), Map.of("a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v1\n  z: v1\n"));
        ok(SHA_A, "kube", "apply", dir.toString(), "-n", "docs", "--inventory", "docs");
        // The same object written otherwise (key order, comment, file name): the same digest.
        Path same = Artifacts.write(tmp.resolve("same"), Map.of("other.yaml",
                "# the same object\nkind: ConfigMap\ndata:\n  z: v1\n  k: v1\nmetadata:\n  name: a\napiVersion: v1\n"));
        ok(SHA_B, "kube", "apply", same.toString(), "-n", "docs", "--inventory", "docs");

        var history = history("docs");

        assertThat(history).hasSize(2);
        assertThat(history.get(0).get("kind").asString()).isEqualTo("documents");
        assertThat(history.get(0).get("reference").isNull()).isTrue();
        assertThat(history.get(0).get("digest").asString()).startsWith("sha256:").isEqualTo(history.get(1).get("digest").asString());
        assertThat(history.get(1).get("revision").asString()).isEqualTo("main@sha1:" + SHA_B);
        var text = ok(SHA_A, "kube", "history", "--inventory", "docs", "--inventory-namespace", "default");
        assertThat(text.out()).contains("main@sha1:" + SHA_A, "documents (not re-appliable)", "(current)");
    }

    @Test
    void rollbackToAnApplyOfADirectoryIsRefusedAndChangesNothing() throws Exception {
        Path dir = Artifacts.write(tmp.resolve("dir"), Map.of("a.yaml", cm("a", "v1")));
        ok(SHA_A, "kube", "apply", dir.toString(), "-n", "refuse", "--inventory", "refuse");
        Artifacts.write(dir, Map.of("a.yaml", cm("a", "v2")));
        ok(SHA_B, "kube", "apply", dir.toString(), "-n", "refuse", "--inventory", "refuse");
        drain();

        var r = kastor(SHA_B, "kube", "rollback", "--inventory", "refuse");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("cannot roll back inventory refuse to documents sha256:", "not an artifact in a registry");
        assertThat(data("refuse", "a")).isEqualTo("v2");
        assertThat(drain()).noneMatch(q -> q.getMethod().equals("PATCH") || q.getMethod().equals("POST") || q.getMethod().equals("PUT"));
        assertThat(history("refuse")).hasSize(2);
    }

    @Test
    void rollbackToAnUnknownRevisionIsRefusedAndNamesTheHistoryCommand() throws Exception {
        Path dir = Artifacts.write(tmp.resolve("unknown"), Map.of("a.yaml", cm("a", "v1")));
        String v1 = push(dir, "unknown/app:v1", SHA_A);
        ok(SHA_A, "kube", "apply", "oci://" + REGISTRY.server().host() + "/unknown/app@" + v1, "--insecure-registry", "-n", "unknown",
                "--inventory", "unknown");
        drain();

        var r = kastor(SHA_A, "kube", "rollback", "--inventory", "unknown", "--to", "main@sha1:" + SHA_B,
                "--insecure-registry");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("inventory unknown has no recorded apply with revision or digest main@sha1:" + SHA_B,
                "kastor kube history --inventory unknown lists the 1 it has");
        assertThat(drain()).noneMatch(q -> q.getMethod().equals("PATCH") || q.getMethod().equals("POST") || q.getMethod().equals("PUT"));
    }

    @Test
    void rollbackToARevisionOrADigestPrefixPicksThatApply() throws Exception {
        Path dir = Artifacts.write(tmp.resolve("to"), Map.of("a.yaml", cm("a", "v1")));
        String v1 = push(dir, "to/app:v1", SHA_A);
        Artifacts.write(dir, Map.of("a.yaml", cm("a", "v2")));
        String v2 = push(dir, "to/app:v2", SHA_B);
        for (String[] apply : List.of(new String[] {SHA_A, v1}, new String[] {SHA_B, v2})) {
            ok(apply[0], "kube", "apply", "oci://" + REGISTRY.server().host() + "/to/app@" + apply[1], "--insecure-registry", "-n", "to",
                    "--inventory", "to");
        }

        ok(SHA_B, "kube", "rollback", "--inventory", "to", "--to", "main@sha1:" + SHA_A, "--insecure-registry");
        assertThat(data("to", "a")).isEqualTo("v1");
        ok(SHA_B, "kube", "rollback", "--inventory", "to", "--to", v2.substring("sha256:".length(), 19),
                "--insecure-registry");
        assertThat(data("to", "a")).isEqualTo("v2");
    }

    @Test
    void historyKeepsTheNewestAppliesUpToTheLimit() {
        Path dir = Artifacts.write(tmp.resolve("limit"), Map.of("a.yaml", cm("a", "v0")));
        for (String sha : List.of(SHA_A, SHA_B, SHA_C)) {
            ok(sha, "kube", "apply", dir.toString(), "-n", "limit", "--inventory", "limit", "--history-limit", "2");
        }

        assertThat(history("limit")).extracting(e -> e.get("revision").asString()).containsExactly("main@sha1:" + SHA_B, "main@sha1:" + SHA_C);
    }

    @Test
    void anInventoryWrittenBeforeHistoryHasAnEmptyOneAndKeepsItsObjectsWhenHistoryStarts() {
        String objects = "|v1|ConfigMap|configmaps|true|old|a\n";
        kube.client().configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName("kastor-inventory-old")
                .withNamespace("default").endMetadata().addToData("objects", objects).build()).create();

        assertThat(history("old")).isEmpty();

        Path dir = Artifacts.write(tmp.resolve("old"), Map.of("a.yaml", cm("a", "v1")));
        ok(SHA_A, "kube", "apply", dir.toString(), "-n", "old", "--inventory", "old");
        assertThat(history("old")).hasSize(1);
        assertThat(kube.client().configMaps().inNamespace("default").withName("kastor-inventory-old").get().getData().get("objects")).isEqualTo(objects);
    }

    @Test
    void aHistoryWithKeysANewerKastorAddedStillReadsAndTakesTheNextApply() {
        String newer = "[{\"kind\":\"documents\",\"digest\":\"sha256:" + "0".repeat(64) + "\",\"revision\":\"main@sha1:" + SHA_A
                + "\",\"time\":\"2026-12-01T10:00:00Z\",\"approvedBy\":\"someone\"}]";
        kube.client().configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName("kastor-inventory-newer")
                .withNamespace("default").endMetadata().addToData("objects", "").addToData("history", newer).build()).create();
        Path dir = Artifacts.write(tmp.resolve("newer"), Map.of("a.yaml", cm("a", "v1")));

        ok(SHA_B, "kube", "apply", dir.toString(), "-n", "newer", "--inventory", "newer");

        assertThat(history("newer")).extracting(e -> e.get("revision").asString()).containsExactly("main@sha1:" + SHA_A, "main@sha1:" + SHA_B);
    }

    @Test
    void historyOfAnInventoryThatDoesNotExistSaysSo() {
        var r = kastor(SHA_A, "kube", "history", "--inventory", "nosuch", "--inventory-namespace", "nowhere");

        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("no inventory nosuch in namespace nowhere (ConfigMap kastor-inventory-nosuch)");
    }

    private List<RecordedRequest> drain() throws InterruptedException {
        var out = new ArrayList<RecordedRequest>();
        RecordedRequest r;
        while ((r = kube.server().takeRequest(50, TimeUnit.MILLISECONDS)) != null) out.add(r);
        return out;
    }
}
