package dev.kastor.steps.kube;

import dev.kastor.oci.InvalidInputException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.Iterator;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads manifests from a directory (*.yaml, *.yml, *.json, recursively, in path order), a file or stdin, and checks
 * each document: valid YAML, a map with apiVersion, kind and metadata.name. All problems are collected so the user
 * sees every one, with file and document index; nothing is applied when there is any.
 */
final class ManifestReader {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final List<Manifest> manifests = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final List<String> skipped = new ArrayList<>();

    List<Manifest> manifests() {
        return manifests;
    }

    List<String> problems() {
        return problems;
    }

    /** Files that are not Kubernetes objects (kustomization.yaml): kustomize is not run, say so rather than fail. */
    List<String> skipped() {
        return skipped;
    }

    void readPath(Path root, String shownAs) {
        if (Files.isDirectory(root)) {
            try (Stream<Path> s = Files.walk(root)) {
                for (Path f : s.filter(Files::isRegularFile).filter(ManifestReader::isManifestFile).sorted().toList()) {
                    readFile(f, root.relativize(f).toString());
                }
            } catch (IOException e) {
                throw new InvalidInputException("cannot read " + shownAs + ": " + e.getMessage(), e);
            }
        } else if (Files.isRegularFile(root)) {
            readFile(root, shownAs);
        } else {
            throw new InvalidInputException(shownAs + ": no such file or directory");
        }
    }

    private static boolean isManifestFile(Path f) {
        String n = f.getFileName().toString();
        return (n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json")) && !n.startsWith(".");
    }

    private void readFile(Path f, String shownAs) {
        try {
            read(Files.readString(f, StandardCharsets.UTF_8), shownAs);
        } catch (IOException e) {
            problems.add(shownAs + ": cannot read: " + e.getMessage());
        }
    }

    void readStream(InputStream in, String shownAs) {
        try {
            read(new String(in.readAllBytes(), StandardCharsets.UTF_8), shownAs);
        } catch (IOException e) {
            problems.add(shownAs + ": cannot read: " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    void read(String text, String file) {
        int doc = 0;
        var load = new Load(LoadSettings.builder().setLabel(file).build());
        Iterator<Object> it = load.loadAllFromString(text).iterator();
        while (true) {
            doc++;
            Object value;
            try {
                if (!it.hasNext()) break;
                value = it.next();
            } catch (YamlEngineException e) {
                problems.add(file + " document " + doc + ": invalid YAML: " + oneLine(e.getMessage()));
                return; // the parser cannot resynchronise after a syntax error
            }
            if (value == null) {
                doc--; // an empty document (a trailing ---) is not an object
                continue;
            }
            if (!(value instanceof Map<?, ?> map)) {
                problems.add(file + " document " + doc + ": not a Kubernetes object (a " + (value instanceof List ? "list" : "scalar") + ", expected a map)");
                continue;
            }
            check(file, doc, (Map<String, Object>) map);
        }
    }

    @SuppressWarnings("unchecked")
    private void check(String file, int doc, Map<String, Object> map) {
        String where = file + " document " + doc;
        Object apiVersion = map.get("apiVersion");
        Object kind = map.get("kind");
        if (String.valueOf(apiVersion).startsWith("kustomize.config.k8s.io/")) {
            skipped.add(where + " (a kustomization: kastor kube apply does not run kustomize; pipe `kustomize build` into `kastor kube apply -`)");
            return;
        }
        var missing = new ArrayList<String>();
        if (!(apiVersion instanceof String s1) || s1.isBlank()) missing.add("apiVersion");
        if (!(kind instanceof String s2) || s2.isBlank()) missing.add("kind");
        Object meta = map.get("metadata");
        Object name = meta instanceof Map<?, ?> m ? m.get("name") : null;
        if (!(name instanceof String s3) || s3.isBlank()) {
            if (meta instanceof Map<?, ?> m && m.get("generateName") != null) {
                problems.add(where + ": metadata.generateName is not supported by server-side apply; give the object a name");
                return;
            }
            missing.add("metadata.name");
        }
        if (!missing.isEmpty()) {
            problems.add(where + ": missing " + String.join(", ", missing) + (kind instanceof String k ? " (kind " + k + ")" : ""));
            return;
        }
        if (kind.toString().endsWith("List") && map.get("items") instanceof List<?>) {
            problems.add(where + ": " + kind + " is a list; write its items as separate documents");
            return;
        }
        GenericKubernetesResource o = JSON.convertValue(new LinkedHashMap<>(map), GenericKubernetesResource.class);
        if (o.getMetadata() == null) o.setMetadata(new ObjectMeta());
        manifests.add(new Manifest(file, doc, o));
    }

    /** snakeyaml's message spans lines (context, mark, caret); keep it on one line with the position. */
    private static String oneLine(String s) {
        if (s == null) return "";
        return String.join(" ", s.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.equals("^")).toList());
    }
}
