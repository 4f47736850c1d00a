package dev.kastor.bridge;

import dev.kastor.testing.Programs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The install manifests under {@code templates/} as a user meets them: a copy of the directory to create the
 * git-ignored secret files in (with the README's own commands), the real {@code kubectl kustomize} to render it, and
 * the pod's volumes laid out on disk the way the kubelet would mount them, so that what the programs read (kas.yaml,
 * secret files, the agent token) is read from what the manifests really deliver.
 */
final class InstallManifests {
    private static final YAMLMapper YAML = YAMLMapper.builder().build();

    /** The repository's {@code templates/}, found upwards from the module directory Maven runs tests in. */
    static Path sourceTemplates() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("templates/kas/kustomization.yaml"))) return p.resolve("templates");
        }
        throw new IllegalStateException("no templates/kas/kustomization.yaml above " + Path.of("").toAbsolutePath());
    }

    /** A copy of {@code templates/} in {@code dir} (overlays refer to ../kas, so the whole tree goes). */
    static Path copyTemplates(Path dir) {
        Path source = sourceTemplates();
        Path target = dir.resolve("templates");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path f : files.toList()) {
                Path t = target.resolve(source.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(f, t);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    /** Runs one of the README's shell commands in {@code dir}, as a user would after {@code cd dir}. */
    static void shell(Path dir, String command) {
        Programs.check(List.of("sh", "-c", "cd '" + dir + "' && " + command), 60);
    }

    /** {@code kubectl kustomize dir}, every document of its output. */
    static List<JsonNode> render(Path dir) {
        Path kubectl = Programs.require("kubectl", "kubectl");
        String out = Programs.check(List.of(kubectl.toString(), "kustomize", dir.toString()), 120);
        return YAML.readerFor(JsonNode.class).<JsonNode>readValues(out).readAll().stream().filter(n -> !n.isNull()).toList();
    }

    static List<JsonNode> ofKind(List<JsonNode> objects, String kind) {
        return objects.stream().filter(o -> kind.equals(o.path("kind").asString())).toList();
    }

    static JsonNode named(List<JsonNode> objects, String kind, String name) {
        return ofKind(objects, kind).stream().filter(o -> name.equals(o.path("metadata").path("name").asString())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in the rendered manifests"));
    }

    static List<JsonNode> list(JsonNode array) {
        var l = new ArrayList<JsonNode>();
        array.forEach(l::add);
        return l;
    }

    static List<String> strings(JsonNode array) {
        return list(array).stream().map(JsonNode::asString).toList();
    }

    /** Containers and init containers of every pod template, with the pod spec they run in. */
    record PodContainer(JsonNode workload, JsonNode podSpec, JsonNode container) {
        String name() {
            return workload.path("kind").asString() + "/" + workload.path("metadata").path("name").asString() + " container "
                    + container.path("name").asString();
        }

        /** A securityContext field as it applies: the container's, else the pod's. */
        JsonNode security(String field) {
            JsonNode c = container.path("securityContext").path(field);
            return c.isMissingNode() ? podSpec.path("securityContext").path(field) : c;
        }
    }

    static List<PodContainer> containers(List<JsonNode> objects) {
        var out = new ArrayList<PodContainer>();
        for (JsonNode o : objects) {
            JsonNode spec = o.path("spec").path("template").path("spec");
            if (spec.isMissingNode()) continue;
            for (String field : List.of("initContainers", "containers")) {
                for (JsonNode c : spec.path(field)) out.add(new PodContainer(o, spec, c));
            }
        }
        return out;
    }

    /** The first container of the workload. */
    static PodContainer container(List<JsonNode> objects, String kind, String name) {
        JsonNode w = named(objects, kind, name);
        JsonNode spec = w.path("spec").path("template").path("spec");
        return new PodContainer(w, spec, spec.path("containers").get(0));
    }

    /**
     * Lays the container's volume mounts out under {@code root} as the kubelet would: ConfigMap and Secret content
     * (also through projected volumes and {@code items}) as files, claims and emptyDirs as empty directories.
     * Fails when a volume names an object the manifests do not contain.
     */
    static void materialise(List<JsonNode> objects, PodContainer pc, Path root) {
        try {
            for (JsonNode mount : pc.container().path("volumeMounts")) {
                String volumeName = mount.path("name").asString();
                JsonNode volume = list(pc.podSpec().path("volumes")).stream().filter(v -> volumeName.equals(v.path("name").asString()))
                        .findFirst().orElseThrow(() -> new AssertionError(pc.name() + " mounts volume " + volumeName + ", which the pod lacks"));
                Path dir = onDisk(root, mount.path("mountPath").asString());
                Files.createDirectories(dir);
                if (volume.has("configMap")) {
                    writeItems(dir, content(objects, "ConfigMap", volume.path("configMap").path("name").asString()), volume.path("configMap").path("items"));
                } else if (volume.has("secret")) {
                    writeItems(dir, content(objects, "Secret", volume.path("secret").path("secretName").asString()), volume.path("secret").path("items"));
                } else if (volume.has("projected")) {
                    for (JsonNode source : volume.path("projected").path("sources")) {
                        if (source.has("configMap")) {
                            writeItems(dir, content(objects, "ConfigMap", source.path("configMap").path("name").asString()), source.path("configMap").path("items"));
                        } else if (source.has("secret")) {
                            writeItems(dir, content(objects, "Secret", source.path("secret").path("name").asString()), source.path("secret").path("items"));
                        }
                    }
                } else if (volume.has("persistentVolumeClaim")) {
                    String claim = volume.path("persistentVolumeClaim").path("claimName").asString();
                    named(objects, "PersistentVolumeClaim", claim);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where an absolute path inside the container lies under {@code root}. */
    static Path onDisk(Path root, String containerPath) {
        return root.resolve(containerPath.replaceFirst("^/+", ""));
    }

    /** The mount of the container that holds {@code containerPath}, if any. */
    static Optional<JsonNode> mountHolding(PodContainer pc, String containerPath) {
        Predicate<JsonNode> holds = m -> containerPath.startsWith(m.path("mountPath").asString().replaceFirst("/*$", "/"));
        return list(pc.container().path("volumeMounts")).stream().filter(holds).findFirst();
    }

    /** Files of a ConfigMap ({@code data}) or Secret ({@code data}, base64; kustomize wraps long values). */
    static Map<String, byte[]> content(List<JsonNode> objects, String kind, String name) {
        JsonNode o = named(objects, kind, name);
        var files = new java.util.LinkedHashMap<String, byte[]>();
        for (var e : o.path("data").properties()) {
            String v = e.getValue().asString();
            files.put(e.getKey(), kind.equals("Secret") ? Base64.getMimeDecoder().decode(v) : v.getBytes(StandardCharsets.UTF_8));
        }
        return files;
    }

    private static void writeItems(Path dir, Map<String, byte[]> files, JsonNode items) throws IOException {
        if (items.isMissingNode() || items.isEmpty()) {
            for (var f : files.entrySet()) Files.write(dir.resolve(f.getKey()), f.getValue());
            return;
        }
        for (JsonNode item : items) {
            String key = item.path("key").asString();
            byte[] data = files.get(key);
            if (data == null) throw new AssertionError("volume item names key " + key + ", which is not in " + files.keySet());
            Path f = dir.resolve(item.path("path").asString());
            Files.createDirectories(f.getParent());
            Files.write(f, data);
        }
    }

    /** A text file inside the container's view, rewritten (in one pass) so that each mount path points under {@code root}. */
    static void rebase(PodContainer pc, Path root, Path file) {
        try {
            List<String> mounts = list(pc.container().path("volumeMounts")).stream()
                    .map(m -> m.path("mountPath").asString().replaceFirst("/*$", "/"))
                    .sorted(java.util.Comparator.comparingInt(String::length).reversed()).toList();
            var pattern = java.util.regex.Pattern.compile(String.join("|", mounts.stream().map(java.util.regex.Pattern::quote).toList()));
            String text = pattern.matcher(Files.readString(file))
                    .replaceAll(m -> java.util.regex.Matcher.quoteReplacement(onDisk(root, m.group()) + "/"));
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every document of a YAML file. */
    static List<JsonNode> yamlDocuments(Path file) {
        try {
            return YAML.readerFor(JsonNode.class).<JsonNode>readValues(Files.readString(file)).readAll().stream().filter(n -> !n.isNull()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode yaml(Path file) {
        try {
            return YAML.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode yaml(String text) {
        return YAML.readTree(text);
    }

    private InstallManifests() {}
}
