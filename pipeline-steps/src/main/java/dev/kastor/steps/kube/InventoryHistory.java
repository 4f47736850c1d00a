package dev.kastor.steps.kube;

import dev.kastor.oci.Digest;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.flux.ArtifactMetadata;
import dev.kastor.oci.flux.FluxArtifacts;
import dev.kastor.steps.env.Environment;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sources of the last applies with one inventory, oldest first, kept as a JSON array under {@link #KEY} in the
 * inventory's ConfigMap, so {@code kastor kube history} can list them and {@code kastor kube rollback} re-apply one.
 * An artifact from a registry is recorded by its digest and can be re-applied; a directory, file, stdin or OCI layout
 * (local to its job) only by the digest of the applied objects, which identifies them but cannot bring them back.
 */
final class InventoryHistory {
    static final String KEY = "history";
    static final int DEFAULT_LIMIT = 10;

    // Unknown keys are skipped: a history a newer Kastor wrote, with keys this one does not know, still reads.
    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    /** What was applied: an artifact pulled from a registry, or documents read from a directory, file, stdin or layout. */
    enum Kind { artifact, documents }

    /**
     * One apply. {@code reference} is the artifact as {@code oci://HOST/REPO@sha256:…} (null for documents); {@code digest}
     * the artifact's manifest digest, or for documents the sha256 of the applied objects (see {@link #documentsDigest});
     * {@code namespace} the default namespace objects that named none were applied to, so a rollback puts them back there;
     * {@code user} who ran the job ({@code $GITLAB_USER_LOGIN}), null outside CI and in entries older Kastor versions wrote;
     * {@code origin} an artifact's source ({@code org.opencontainers.image.source}: the project its revision is a commit
     * of, which may not be the job's), null for documents.
     */
    record Entry(Kind kind, String reference, String digest, String revision, String time, String jobUrl, String namespace, String user,
                 String origin) {
        boolean isArtifact() {
            return kind == Kind.artifact;
        }

        /** The reference of an artifact, else "documents sha256:…", for tables and messages. */
        String describe() {
            return isArtifact() ? reference : "documents " + digest;
        }
    }

    private InventoryHistory() {}

    /**
     * The entry for an apply of {@code planned}: from {@code pulled} when the input was an artifact in a registry
     * ({@code reference} its pinned form), else from the objects themselves; revision as Kastor's artifacts write it.
     */
    static Entry of(FluxArtifacts.PullResult pulled, String reference, List<Applier.Planned> planned, String namespace, Environment env) {
        String time = Instant.now().toString();
        String jobUrl = env.env().get("CI_JOB_URL");
        String user = env.env().get("GITLAB_USER_LOGIN");
        if (reference != null) {
            return new Entry(Kind.artifact, reference, pulled.digest().toString(), pulled.annotations().get(ArtifactMetadata.REVISION), time, jobUrl, namespace, user,
                    pulled.annotations().get(ArtifactMetadata.SOURCE));
        }
        // Reproducible: the created time of this throwaway metadata is never read, and it needs neither Git nor a clock.
        String revision = ArtifactMetadata.builder().env(env.env()).reproducible(true).build().revision();
        return new Entry(Kind.documents, null, documentsDigest(planned).toString(), revision, time, jobUrl, namespace, user, null);
    }

    /**
     * sha256 of the applied objects in apply order, each as JSON with its keys sorted, one per line (after namespace
     * defaulting, before Kastor adds its inventory annotation): the same objects give the same digest whatever their
     * files, key order or comments.
     */
    static Digest documentsDigest(List<Applier.Planned> planned) {
        var text = new StringBuilder();
        for (Applier.Planned p : planned) {
            Map<?, ?> canonical = JSON.convertValue(p.manifest().object(), Map.class);
            text.append(JSON.writeValueAsString(canonical)).append('\n');
        }
        return Digest.of(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The history stored as {@code json}; an inventory written before Kastor kept history has none. */
    static List<Entry> parse(String json, String where) {
        if (json == null || json.isBlank()) return List.of();
        try {
            return List.copyOf(JSON.readValue(json, new TypeReference<List<Entry>>() {}));
        } catch (JacksonException e) {
            throw new InvalidInputException(where + " holds no readable history under " + KEY + ": " + e.getOriginalMessage());
        }
    }

    static String render(List<Entry> history) {
        return JSON.writeValueAsString(history);
    }

    /** {@code history} with {@code entry} added last and the oldest dropped beyond {@code limit}. */
    static List<Entry> append(List<Entry> history, Entry entry, int limit) {
        var all = new ArrayList<>(history);
        all.add(entry);
        return List.copyOf(all.subList(Math.max(0, all.size() - limit), all.size()));
    }

    /**
     * The entry a rollback re-applies: with {@code to} null the one before the last (the current one), else the newest
     * whose revision is {@code to} or whose digest starts with it ({@code sha256:} optional). Refuses what cannot be
     * re-applied: no such entry, an ambiguous digest prefix, documents that were not an artifact.
     */
    static Entry target(List<Entry> history, String to, String inventory) {
        Entry chosen = to == null ? previous(history, inventory) : matching(history, to, inventory);
        if (!chosen.isArtifact()) {
            throw new InvalidInputException("cannot roll back inventory " + inventory + " to " + chosen.describe() + " (applied " + chosen.time()
                    + "): it was applied from a directory, file or stdin, not an artifact in a registry, so Kastor cannot fetch it again;"
                    + " apply that revision's manifests with kastor kube apply, or push them with kastor artifact push and apply the artifact");
        }
        return chosen;
    }

    private static Entry previous(List<Entry> history, String inventory) {
        if (history.size() < 2) {
            throw new InvalidInputException("inventory " + inventory + " has " + history.size() + " recorded apply(s): nothing before the current one"
                    + " to roll back to (Kastor records applies since it keeps history)");
        }
        return history.get(history.size() - 2);
    }

    private static Entry matching(List<Entry> history, String to, String inventory) {
        List<Entry> byRevision = history.stream().filter(e -> to.equals(e.revision())).toList();
        List<Entry> byDigest = history.stream().filter(e -> Digest.startsWith(e.digest(), to)).toList();
        List<Entry> found = byRevision.isEmpty() ? byDigest : byRevision;
        if (found.isEmpty()) {
            throw new InvalidInputException("inventory " + inventory + " has no recorded apply with revision or digest " + to
                    + "; kastor kube history --inventory " + inventory + " lists the " + history.size() + " it has");
        }
        if (found.stream().map(Entry::digest).distinct().count() > 1) {
            throw new InvalidInputException("--to " + to + " matches " + found.stream().map(Entry::digest).distinct().toList()
                    + " in inventory " + inventory + ": give more of the digest");
        }
        return found.get(found.size() - 1);
    }
}
