package dev.kastor.steps.kube;

import dev.kastor.oci.Causes;
import dev.kastor.oci.InvalidInputException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.constructor.StandardConstructor;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads manifests from a directory (*.yaml, *.yml, *.json, recursively, in path order), a file or stdin, and checks
 * each document: within the {@link ManifestLimits} (sizes before parsing, nesting while parsing), strict UTF-8, valid
 * YAML (merge keys {@code <<} merged, as kubectl does), a map with apiVersion, kind and metadata.name. All problems are
 * collected so the user sees every one, with file and document index; nothing is applied when there is any.
 */
final class ManifestReader {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final ManifestLimits limits;
    private final List<Manifest> manifests = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final List<String> skipped = new ArrayList<>();

    ManifestReader(ManifestLimits limits) {
        this.limits = limits;
    }

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
                throw new InvalidInputException("cannot read " + shownAs + ": " + Causes.describe(e), e);
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
            long size = Files.size(f);
            if (size > limits.maxInputBytes()) {
                problems.add(shownAs + ": " + size + " bytes, over the limit of " + size(limits.maxInputBytes()) + " per input"
                        + TOO_BIG_HINT);
                return;
            }
            read(Files.readAllBytes(f), shownAs);
        } catch (IOException e) {
            problems.add(shownAs + ": cannot read: " + Causes.describe(e));
        }
    }

    void readStream(InputStream in, String shownAs) {
        try {
            // Read one byte past the limit to know it was passed, never the whole of an endless pipe.
            byte[] bytes = in.readNBytes((int) Math.min(limits.maxInputBytes() + 1, Integer.MAX_VALUE - 8));
            if (bytes.length > limits.maxInputBytes()) {
                problems.add(shownAs + ": more than " + size(limits.maxInputBytes()) + ", over the limit per input" + TOO_BIG_HINT);
                return;
            }
            read(bytes, shownAs);
        } catch (IOException e) {
            problems.add(shownAs + ": cannot read: " + Causes.describe(e));
        }
    }

    private static final String TOO_BIG_HINT = "; no Kubernetes object comes near it (the API server refuses requests over"
            + " about 3 MiB): split the input, or check that this is the file you meant";

    /** Size checks, strict UTF-8, then the documents one by one. */
    void read(byte[] bytes, String file) {
        if (!withinDocumentLimit(bytes, file)) {
            return;
        }
        String text;
        try {
            text = StrictUtf8.decode(bytes, file);
        } catch (InvalidInputException e) {
            problems.add(e.getMessage());
            return;
        }
        parse(text, file);
    }

    /**
     * Before parsing: snakeyaml-engine applies its own limit only after it has scanned a whole scalar, which for one
     * long line costs minutes. A document starts at a line beginning with {@code ---} (a document marker at column 0
     * ends any scalar, so this split is exact); the first document may have no marker.
     */
    private boolean withinDocumentLimit(byte[] bytes, String file) {
        boolean ok = true;
        int doc = 0;
        int start = 0;
        int line = 1;
        int startLine = 1;
        boolean content = false;
        for (int i = 0; i <= bytes.length; i++) {
            boolean lineStart = i == 0 || bytes[i - 1] == '\n';
            boolean marker = i < bytes.length && lineStart && isDocumentMarker(bytes, i);
            if (marker && i > start || i == bytes.length) {
                if (content) doc++;
                if (i - start > limits.maxDocumentBytes()) {
                    problems.add(file + " document " + Math.max(doc, 1) + " (line " + startLine + ", byte offset " + start + "): "
                            + (i - start) + " bytes, over the limit of " + size(limits.maxDocumentBytes()) + " per document"
                            + TOO_BIG_HINT);
                    ok = false;
                }
                start = i;
                startLine = line;
                content = false;
            }
            if (i < bytes.length) {
                if (lineStart && !marker && !content && bytes[i] != '#' && bytes[i] != '%' && !isBlankLine(bytes, i)) content = true;
                if (marker && !isBlankLine(bytes, i + 3)) content = true;
                if (bytes[i] == '\n') line++;
            }
        }
        return ok;
    }

    private static boolean isDocumentMarker(byte[] b, int i) {
        return i + 2 < b.length && b[i] == '-' && b[i + 1] == '-' && b[i + 2] == '-'
                && (i + 3 == b.length || b[i + 3] == ' ' || b[i + 3] == '\t' || b[i + 3] == '\r' || b[i + 3] == '\n');
    }

    /** Only spaces, tabs or a comment up to the end of the line. */
    private static boolean isBlankLine(byte[] b, int i) {
        for (; i < b.length && b[i] != '\n'; i++) {
            if (b[i] == '#') return true;
            if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') return false;
        }
        return true;
    }

    static String size(long bytes) {
        if (bytes % (1024 * 1024) == 0) return bytes / (1024 * 1024) + " MiB";
        if (bytes % 1024 == 0) return bytes / 1024 + " KiB";
        return bytes + " bytes";
    }

    @SuppressWarnings("unchecked")
    private void parse(String text, String file) {
        int doc = 0;
        LoadSettings settings = LoadSettings.builder().setLabel(file)
                .setSchema(new MergeKeySchema())
                // Ours is the limit that counts; snakeyaml's own (3 Mi code points) would refuse documents below it.
                .setCodePointLimit((int) Math.min(limits.maxDocumentBytes(), Integer.MAX_VALUE))
                // snakeyaml's default 1 KiB window is copied on every refill while one token is scanned: quadratic in
                // the length of a line (minutes for a few MiB). A window as large as the input, up to 1 Mi, keeps it linear.
                .setBufferSize(Math.max(1024, Math.min(text.length() + 1, 1024 * 1024)))
                .build();
        var parser = new DepthLimitedParser(new ParserImpl(settings, new StreamReader(settings, text)), limits.maxNestingDepth());
        var composer = new Composer(settings, parser);
        var constructor = new StandardConstructor(settings);
        while (true) {
            doc++;
            Object value;
            try {
                if (!composer.hasNext()) break;
                value = constructor.constructSingleDocument(Optional.of(composer.next()));
            } catch (YamlEngineException e) {
                problems.add(file + " document " + doc + ": invalid YAML: " + oneLine(Causes.describe(e)));
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
