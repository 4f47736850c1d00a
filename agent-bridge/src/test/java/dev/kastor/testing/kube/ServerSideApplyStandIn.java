package dev.kastor.testing.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Server-side apply for the Kubernetes API stand-in. fabric8's CRUD mode answers 415 to {@code PATCH} with
 * {@code Content-Type: application/apply-patch+yaml} (fabric8io/kubernetes-client#5337); this dispatcher answers it
 * after the documented API (https://kubernetes.io/docs/reference/using-api/server-side-apply/) and stores the result
 * through the CRUD dispatcher's own create and update, so GET, LIST and WATCH see it as they see any other write.
 *
 * <p>What it does: {@code PATCH <object path>?fieldManager=X[&force=true][&dryRun=All]} with a YAML or JSON body
 * <ul>
 * <li>creates a missing object from the body (201; uid, resourceVersion, generation 1 and creationTimestamp set by the
 * CRUD store as for a POST), or merges the body into the live object (200): maps merged recursively, lists and
 * scalars replaced, {@code null} values ignored; {@code status} in the body is ignored (as on an endpoint with a
 * status subresource), the live status is kept;</li>
 * <li>keeps one {@code metadata.managedFields} entry per apply manager ({@code manager}, {@code operation: Apply},
 * {@code apiVersion}, {@code time}, {@code fieldsType: FieldsV1}, {@code fieldsV1}); the field set is simplified:
 * {@code f:<key>} for map keys, a list is one leaf (no {@code k:}/{@code v:}/{@code i:} element keys);</li>
 * <li>bumps {@code generation} only when something outside metadata and status changed; an apply that changes
 * nothing writes nothing (same resourceVersion, no watch event, managedFields time unchanged);</li>
 * <li>{@code dryRun=All} answers the would-be result and stores nothing;</li>
 * <li>{@code DELETE <object path>?dryRun=All} answers the object and deletes nothing;</li>
 * <li>refuses as the API server does: no {@code fieldManager} (422), a body that is not a map, whose apiVersion, kind,
 * name or namespace disagree with the path, or that carries {@code metadata.managedFields} (400), a
 * {@code metadata.resourceVersion} other than the live one (409), a resource the stand-in does not serve (404: neither
 * a stored CRD {@code <plural>.<group>} serving the version nor a kind of fabric8's model at that group, version and
 * plural).</li>
 *
 * <li>detects conflicts between Apply managers, as SSA does: a field this apply changes that another manager's Apply
 * entry owns answers 409 {@code Conflict} with one {@code FieldManagerConflict} cause per field (message
 * {@code conflict with "B"}, field {@code .data.key}), unless {@code force=true}, which moves those fields to this
 * manager; a field set to the value it already has is shared, no conflict (under dry run too);</li>
 * </ul>
 *
 * <p>What it is not: all of SSA's field-ownership algorithm. Fields written by other operations (Update) are owned
 * by nobody here, so they never conflict; a field a manager stops applying is not removed; writes other than applies (POST, PUT, merge patch) record no
 * managedFields entry; list merge keys (containers by name, ...) and strategic-merge semantics are ignored; the
 * object's namespace need not exist; applies to subresources ({@code /status}, {@code /scale}) are not handled (415
 * as before); no admission, defaulting or schema validation happens, under dry run or not. The wording of the kind
 * mismatch message is the stand-in's own; the other messages are the API server's.
 *
 * <p>Every write (POST, PUT, PATCH, DELETE) passes one lock here, so an apply's read-merge-write cannot interleave
 * with another write; reads only take the CRUD store's own lock.
 */
public final class ServerSideApplyStandIn extends KubernetesCrudDispatcher {
    static final String APPLY_PATCH = "application/apply-patch+yaml";

    /** One apply the stand-in answered: what was asked, and the HTTP code it answered. */
    public record Applied(String path, String fieldManager, boolean force, boolean dryRun, int code, String body) {}

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final YAMLMapper YAML = YAMLMapper.builder().build();
    private static final Map<String, String> BUILT_IN_KINDS = builtInKinds();

    private final ReentrantLock writes = new ReentrantLock();
    private final List<Applied> applies = new CopyOnWriteArrayList<>();

    ServerSideApplyStandIn() {}

    /** Every apply answered so far, in order (the request log of the mock server does not keep bodies). */
    public List<Applied> applies() {
        return List.copyOf(applies);
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        if (request.method() == HttpMethod.GET) return super.dispatch(request);
        writes.lock();
        try {
            if (isApply(request)) return apply(request);
            // A dry-run DELETE is answered with the object that would be deleted, which stays (the API server's dryRun=All).
            if (request.method() == HttpMethod.DELETE && "All".equals(query(request.getPath()).get("dryRun"))) {
                return super.handleGet(request.getPath().substring(0, request.getPath().indexOf('?')));
            }
            return super.dispatch(request);
        } finally {
            writes.unlock();
        }
    }

    private static boolean isApply(RecordedRequest request) {
        String type = request.getHeader("Content-Type");
        return request.method() == HttpMethod.PATCH && type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith(APPLY_PATCH);
    }

    private MockResponse apply(RecordedRequest request) {
        String body = new String(request.getBody().getBytes(), StandardCharsets.UTF_8); // getBytes: the request log keeps it
        Map<String, String> query = query(request.getPath());
        String manager = query.get("fieldManager");
        boolean force = Boolean.parseBoolean(query.get("force"));
        boolean dryRun = "All".equals(query.get("dryRun"));
        MockResponse response;
        try {
            response = answer(ObjectPath.parse(request.getPath()), manager, body, force, dryRun);
        } catch (Refused r) {
            response = r.response();
        }
        applies.add(new Applied(request.getPath(), manager, force, dryRun, response.code(), body));
        return response;
    }

    private MockResponse answer(ObjectPath path, String manager, String body, boolean force, boolean dryRun) throws Refused {
        if (path == null || path.subresource() != null) {
            throw new Refused(415, "UnsupportedMediaType", "the stand-in applies to objects only, not to collections or subresources");
        }
        if (manager == null || manager.isEmpty()) {
            throw new Refused(status(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                    Map.of("group", "meta.k8s.io", "kind", "PatchOptions", "causes",
                            List.of(Map.of("reason", "FieldValueRequired", "message", "Required value: is required for apply patch", "field", "fieldManager")))));
        }
        Map<String, Object> applied = parse(body);
        Map<String, Object> live = read(path.objectPath());
        String kind = live != null ? (String) live.get("kind") : servedKind(path);
        if (kind == null) throw new Refused(404, "NotFound", "the server could not find the requested resource");
        check(path, kind, applied, live);

        Map<String, Object> entry = managedFieldsEntry(manager, path.apiVersion(), applied, live);
        if (live == null) {
            Map<String, Object> created = deepCopy(applied);
            created.remove("status");
            created.put("apiVersion", path.apiVersion());
            created.put("kind", kind);
            Map<String, Object> meta = map(created, "metadata");
            meta.put("name", path.name());
            if (path.namespace() != null) meta.put("namespace", path.namespace());
            else meta.remove("namespace");
            meta.put("managedFields", List.of(entry));
            meta.remove("resourceVersion");
            if (!dryRun) return super.handleCreate(synthetic(HttpMethod.POST, path.collectionPath(), created));
            // What the CRUD store would have set, without storing.
            meta.put("uid", UUID.randomUUID().toString());
            meta.put("creationTimestamp", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
            meta.put("generation", 1);
            return json(201, created);
        }

        Map<String, Object> merged = deepCopy(live);
        Object liveEntries = takeConflicting(manager, entry, applied, live, force);
        Map<String, Object> patch = deepCopy(applied);
        patch.remove("status");
        map(patch, "metadata").remove("resourceVersion");
        merge(merged, patch);
        Map<String, Object> mergedMeta = map(merged, "metadata");
        mergedMeta.put("managedFields", withEntry(liveEntries, entry)); // with the live entry's time, to compare
        if (merged.equals(live)) return json(200, live); // nothing changed: nothing written, no event
        entry.put("time", now());
        mergedMeta.put("managedFields", withEntry(liveEntries, entry));
        if (!dryRun) {
            // The CRUD store's update keeps uid, creationTimestamp, bumps resourceVersion and (spec changed) generation.
            return super.handleUpdate(synthetic(HttpMethod.PUT, path.objectPath(), merged));
        }
        if (specChanged(live, merged)) mergedMeta.put("generation", ((Number) map(live, "metadata").getOrDefault("generation", 0)).longValue() + 1);
        return json(200, merged);
    }

    /**
     * SSA's conflict rule for Apply managers: a field this apply sets to a value other than the live one, which another
     * manager's Apply entry owns, is a conflict. Without force the apply is refused with 409 as the API server refuses
     * it (k8s.io/apiserver fieldmanager's NewConflictError: one FieldManagerConflict cause per field, message
     * {@code conflict with "B"}, field {@code .data.key}); with force the other managers lose those fields. Returns the
     * managedFields entries to keep.
     */
    private static Object takeConflicting(String manager, Map<String, Object> entry, Map<String, Object> applied, Map<String, Object> live,
            boolean force) throws Refused {
        Object liveEntries = map(live, "metadata").get("managedFields");
        if (!(liveEntries instanceof List<?> entries)) return liveEntries;
        var ours = new ArrayList<List<String>>();
        leaves((Map<?, ?>) entry.get("fieldsV1"), new ArrayList<>(), ours);
        var causes = new ArrayList<Map<String, Object>>();
        var kept = new ArrayList<Object>();
        for (Object o : entries) {
            if (!(o instanceof Map<?, ?> other) || manager.equals(other.get("manager")) || !"Apply".equals(other.get("operation"))) {
                kept.add(o);
                continue;
            }
            var theirs = new ArrayList<List<String>>();
            leaves((Map<?, ?>) other.get("fieldsV1"), new ArrayList<>(), theirs);
            var taken = ours.stream().filter(f -> theirs.contains(f) && !java.util.Objects.equals(at(applied, f), at(live, f))).toList();
            taken.forEach(f -> causes.add(Map.of("reason", "FieldManagerConflict", "message", "conflict with \"" + other.get("manager") + "\"",
                    "field", "." + String.join(".", f))));
            kept.add(taken.isEmpty() ? o : without(other, taken));
        }
        if (!causes.isEmpty() && !force) throw new Refused(conflict(causes));
        return kept;
    }

    /** The Status of an apply conflict, worded as k8s.io/apiserver's fieldmanager words it. */
    private static Map<String, Object> conflict(List<Map<String, Object>> causes) {
        String message;
        if (causes.size() == 1) {
            message = "Apply failed with 1 conflict: " + causes.get(0).get("message") + ": " + causes.get(0).get("field");
        } else {
            var byManager = new java.util.TreeMap<String, List<Object>>();
            causes.forEach(c -> byManager.computeIfAbsent(((String) c.get("message")).replaceFirst("^conflict", "conflicts"), k -> new ArrayList<>()).add(c.get("field")));
            var lines = new ArrayList<String>();
            byManager.forEach((m, fields) -> {
                lines.add(m + ":");
                fields.forEach(f -> lines.add("- " + f));
            });
            message = "Apply failed with " + causes.size() + " conflicts: " + String.join("\n", lines);
        }
        return status(409, "Conflict", message, Map.of("causes", causes));
    }

    /** The leaf paths of a FieldsV1 set, as lists of keys without their {@code f:} prefix. */
    private static void leaves(Map<?, ?> fields, List<String> prefix, List<List<String>> out) {
        if (fields == null) return;
        fields.forEach((k, v) -> {
            var path = new ArrayList<>(prefix);
            path.add(((String) k).substring(2));
            if (v instanceof Map<?, ?> sub && !sub.isEmpty()) leaves(sub, path, out);
            else out.add(path);
        });
    }

    private static Object at(Map<?, ?> object, List<String> path) {
        Object v = object;
        for (String k : path) v = v instanceof Map<?, ?> m ? m.get(k) : null;
        return v;
    }

    /** A manager's entry without the fields another manager took by force. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> without(Map<?, ?> entry, List<List<String>> taken) {
        var copy = deepCopy((Map<String, Object>) entry);
        for (List<String> f : taken) {
            Object parent = copy.get("fieldsV1");
            for (String k : f.subList(0, f.size() - 1)) parent = parent instanceof Map<?, ?> m ? m.get("f:" + k) : null;
            if (parent instanceof Map<?, ?> m) ((Map<String, Object>) m).remove("f:" + f.get(f.size() - 1));
        }
        return copy;
    }

    /** The checks the API server makes on an apply body before merging (see the class comment for the codes). */
    private static void check(ObjectPath path, String kind, Map<String, Object> applied, Map<String, Object> live) throws Refused {
        Object apiVersion = applied.get("apiVersion");
        if (!path.apiVersion().equals(apiVersion)) {
            throw new Refused(400, "BadRequest", "Incorrect version specified in apply patch. Specified patch version: " + apiVersion + ", expected: " + path.apiVersion());
        }
        if (!kind.equals(applied.get("kind"))) {
            throw new Refused(400, "BadRequest", "the kind in the apply patch (" + applied.get("kind") + ") does not match the kind served at " + path.objectPath() + " (" + kind + ")");
        }
        Object meta = applied.get("metadata");
        if (!(meta instanceof Map<?, ?> m)) throw new Refused(400, "BadRequest", "the apply patch has no metadata");
        if (!path.name().equals(m.get("name"))) {
            throw new Refused(400, "BadRequest", "the name of the object (" + m.get("name") + ") does not match the name on the URL (" + path.name() + ")");
        }
        Object ns = m.get("namespace");
        if (path.namespace() != null && ns != null && !"".equals(ns) && !path.namespace().equals(ns)) {
            throw new Refused(400, "BadRequest", "the namespace of the object (" + ns + ") does not match the namespace on the URL (" + path.namespace() + ")");
        }
        if (m.get("managedFields") != null) throw new Refused(400, "BadRequest", "metadata.managedFields must be nil");
        Object rv = m.get("resourceVersion");
        if (rv != null && !"".equals(rv)) {
            Object liveRv = live == null ? null : map(live, "metadata").get("resourceVersion");
            if (!rv.toString().equals(liveRv)) {
                throw new Refused(409, "Conflict", "Operation cannot be fulfilled on " + path.plural() + " \"" + path.name()
                        + "\": the object has been modified; please apply your changes to the latest version and try again");
            }
        }
    }

    /**
     * The kind served at a path, for an object that does not exist yet: a stored CRD {@code <plural>.<group>} serving
     * that version, else the kind of fabric8's built-in model with that group, version and plural; null if none.
     */
    private String servedKind(ObjectPath path) {
        if (!path.group().isEmpty()) {
            Map<String, Object> crd = read("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + path.plural() + "." + path.group());
            if (crd != null) {
                Object names = ((Map<?, ?>) crd.getOrDefault("spec", Map.of())).get("names");
                Object versions = ((Map<?, ?>) crd.getOrDefault("spec", Map.of())).get("versions");
                boolean served = versions instanceof List<?> vs && vs.stream().anyMatch(v -> v instanceof Map<?, ?> vm
                        && path.version().equals(vm.get("name")) && !Boolean.FALSE.equals(vm.get("served")));
                return served && names instanceof Map<?, ?> n ? (String) n.get("kind") : null;
            }
        }
        return BUILT_IN_KINDS.get(path.apiVersion() + " " + path.plural());
    }

    /** {@code "<apiVersion> <plural>"} to kind, for every kind of fabric8's model (the classes it registers for deserialization). */
    private static Map<String, String> builtInKinds() {
        var kinds = new java.util.HashMap<String, String>();
        ServiceLoader.load(KubernetesResource.class).stream().map(ServiceLoader.Provider::type).forEach(t -> {
            if (!HasMetadata.class.isAssignableFrom(t)) return;
            @SuppressWarnings("unchecked")
            var type = (Class<? extends HasMetadata>) t;
            String apiVersion = HasMetadata.getApiVersion(type);
            if (apiVersion != null) kinds.putIfAbsent(apiVersion + " " + HasMetadata.getPlural(type), HasMetadata.getKind(type));
        });
        return Map.copyOf(kinds);
    }

    private Map<String, Object> read(String objectPath) {
        MockResponse r = super.handleGet(objectPath);
        if (r.code() != 200) return null;
        return JSON.readValue(r.getBody().getBytes(), mapType());
    }

    private static Map<String, Object> parse(String body) throws Refused {
        Object o;
        try {
            o = YAML.readValue(body, Object.class);
        } catch (JacksonException e) {
            throw new Refused(400, "BadRequest", "error decoding YAML: " + e.getOriginalMessage());
        }
        if (!(o instanceof Map<?, ?>)) throw new Refused(400, "BadRequest", "error decoding YAML: the apply patch is not an object");
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) o;
        return m;
    }

    /** Maps merged key by key, recursively; anything else (lists, scalars) replaced; nulls in the patch ignored. */
    @SuppressWarnings("unchecked")
    static void merge(Map<String, Object> into, Map<String, Object> patch) {
        patch.forEach((k, v) -> {
            if (v == null) return;
            if (v instanceof Map<?, ?> pm && into.get(k) instanceof Map<?, ?> im) {
                var target = new LinkedHashMap<>((Map<String, Object>) im);
                merge(target, (Map<String, Object>) pm);
                into.put(k, target);
            } else {
                into.put(k, v);
            }
        });
    }

    /** Something changed outside metadata and status: what bumps generation in the CRUD store's update too. */
    private static boolean specChanged(Map<String, Object> live, Map<String, Object> merged) {
        var a = new LinkedHashMap<>(live);
        var b = new LinkedHashMap<>(merged);
        for (String k : List.of("metadata", "status")) {
            a.remove(k);
            b.remove(k);
        }
        return !a.equals(b);
    }

    /** This manager's Apply entry: its field set from the body; the live entry's time while nothing changes. */
    private static Map<String, Object> managedFieldsEntry(String manager, String apiVersion, Map<String, Object> applied, Map<String, Object> live) {
        var e = new LinkedHashMap<String, Object>();
        e.put("manager", manager);
        e.put("operation", "Apply");
        e.put("apiVersion", apiVersion);
        Object time = null;
        if (live != null && map(live, "metadata").get("managedFields") instanceof List<?> entries) {
            for (Object o : entries) {
                if (o instanceof Map<?, ?> m && manager.equals(m.get("manager")) && "Apply".equals(m.get("operation"))) time = m.get("time");
            }
        }
        e.put("time", time != null ? time : now());
        e.put("fieldsType", "FieldsV1");
        var fields = new LinkedHashMap<String, Object>(applied);
        fields.remove("apiVersion");
        fields.remove("kind");
        fields.remove("status");
        if (fields.get("metadata") instanceof Map<?, ?> m) {
            var meta = new LinkedHashMap<>(m);
            meta.remove("name");
            meta.remove("namespace");
            meta.remove("resourceVersion");
            if (meta.isEmpty()) fields.remove("metadata");
            else fields.put("metadata", meta);
        }
        e.put("fieldsV1", fieldSet(fields));
        return e;
    }

    private static Map<String, Object> fieldSet(Map<?, ?> m) {
        var out = new LinkedHashMap<String, Object>();
        m.forEach((k, v) -> {
            if (v != null) out.put("f:" + k, v instanceof Map<?, ?> sub ? fieldSet(sub) : Map.of());
        });
        return out;
    }

    /** The live managedFields with this manager's Apply entry replaced (or added). */
    private static List<Object> withEntry(Object liveEntries, Map<String, Object> entry) {
        var out = new ArrayList<Object>();
        boolean replaced = false;
        if (liveEntries instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof Map<?, ?> m && entry.get("manager").equals(m.get("manager")) && "Apply".equals(m.get("operation"))) {
                    out.add(entry);
                    replaced = true;
                } else {
                    out.add(o);
                }
            }
        }
        if (!replaced) out.add(entry);
        return out;
    }

    private static RecordedRequest synthetic(HttpMethod method, String path, Map<String, Object> object) {
        byte[] bytes = JSON.writeValueAsBytes(object);
        return new RecordedRequest("HTTP/1.1", method, path, Headers.builder().add("Content-Type", "application/json").build(), new Buffer(bytes));
    }

    static MockResponse json(int code, Map<String, Object> body) {
        return new MockResponse().setResponseCode(code).addHeader("Content-Type", "application/json").setBody(JSON.writeValueAsString(body));
    }

    static Map<String, Object> status(int code, String reason, String message, Map<String, Object> details) {
        var s = new LinkedHashMap<String, Object>();
        s.put("kind", "Status");
        s.put("apiVersion", "v1");
        s.put("metadata", Map.of());
        s.put("status", "Failure");
        s.put("message", message);
        s.put("reason", reason);
        if (details != null) s.put("details", details);
        s.put("code", code);
        return s;
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> o, String key) {
        Object v = o.get(key);
        if (v instanceof Map<?, ?>) {
            var copy = new LinkedHashMap<>((Map<String, Object>) v);
            o.put(key, copy);
            return copy;
        }
        var fresh = new LinkedHashMap<String, Object>();
        o.put(key, fresh);
        return fresh;
    }

    private static Map<String, Object> deepCopy(Map<String, Object> m) {
        return JSON.readValue(JSON.writeValueAsBytes(m), mapType());
    }

    private static tools.jackson.core.type.TypeReference<Map<String, Object>> mapType() {
        return new tools.jackson.core.type.TypeReference<>() {};
    }

    private static Map<String, String> query(String path) {
        var out = new LinkedHashMap<String, String>();
        int q = path.indexOf('?');
        if (q < 0) return out;
        for (String kv : path.substring(q + 1).split("&")) {
            int eq = kv.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
            out.put(k, eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    /** An object's API path taken apart: {@code /api/v1[/namespaces/NS]/PLURAL/NAME[/SUB]} or {@code /apis/GROUP/VERSION/…}. */
    record ObjectPath(String group, String version, String namespace, String plural, String name, String subresource) {
        static ObjectPath parse(String raw) {
            String p = raw.replaceAll("\\?.*", "");
            String[] s = p.replaceAll("^/+", "").split("/");
            int i;
            String group;
            String version;
            if (s.length >= 2 && s[0].equals("api")) {
                group = "";
                version = s[1];
                i = 2;
            } else if (s.length >= 3 && s[0].equals("apis")) {
                group = s[1];
                version = s[2];
                i = 3;
            } else {
                return null;
            }
            var rest = java.util.Arrays.copyOfRange(s, i, s.length);
            // namespaces/NS/PLURAL/NAME[/SUB] is a namespaced object; namespaces/NAME[/SUB] is a Namespace.
            if (rest.length >= 4 && rest[0].equals("namespaces")) {
                return new ObjectPath(group, version, rest[1], rest[2], rest[3], rest.length > 4 ? rest[4] : null);
            }
            if (rest.length == 2 || rest.length == 3) {
                return new ObjectPath(group, version, null, rest[0], rest[1], rest.length == 3 ? rest[2] : null);
            }
            return null;
        }

        String apiVersion() {
            return group.isEmpty() ? version : group + "/" + version;
        }

        String collectionPath() {
            return (group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version) + (namespace == null ? "" : "/namespaces/" + namespace) + "/" + plural;
        }

        String objectPath() {
            return collectionPath() + "/" + name;
        }
    }

    /** A refusal, answered as the API server's Status object. */
    private static final class Refused extends Exception {
        private final transient Map<String, Object> status;

        Refused(int code, String reason, String message) {
            this(status(code, reason, message, null));
        }

        Refused(Map<String, Object> status) {
            super((String) status.get("message"), null, false, false);
            this.status = status;
        }

        MockResponse response() {
            return json((Integer) status.get("code"), status);
        }
    }
}
