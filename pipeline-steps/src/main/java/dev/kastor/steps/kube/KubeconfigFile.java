package dev.kastor.steps.kube;

import dev.kastor.oci.Causes;
import dev.kastor.oci.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * A kubeconfig being written: clusters, users and contexts by name, as kubectl keeps them. {@link #load} starts from a
 * file a person already has, so entries of the same name are replaced and every other entry (and key Kastor does not
 * know) stays, the way {@code kubectl config set-*} and {@code glab cluster agent update-kubeconfig} merge.
 */
final class KubeconfigFile {
    private static final YAMLMapper YAML = YAMLMapper.builder().build();
    private final ObjectNode root;

    private KubeconfigFile(ObjectNode root) {
        this.root = root;
    }

    /** A kubeconfig with nothing in it yet. */
    static KubeconfigFile empty() {
        ObjectNode root = YAML.createObjectNode();
        root.put("apiVersion", "v1");
        root.put("kind", "Config");
        return new KubeconfigFile(root);
    }

    /** The kubeconfig in {@code file}, or an empty one when there is no file; refuses a file that is not a kubeconfig. */
    static KubeconfigFile load(Path file) {
        if (!Files.exists(file)) return empty();
        JsonNode read;
        try {
            read = YAML.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new InvalidInputException("cannot read kubeconfig " + file + ": " + Causes.describe(e), e);
        } catch (RuntimeException e) {
            throw new InvalidInputException("kubeconfig " + file + " is not valid YAML, so Kastor will not merge into it: "
                    + Causes.describe(e) + " (fix it, or pass --file NEW_FILE)", e);
        }
        if (read == null || read.isMissingNode() || read.isNull()) return empty();
        if (!read.isObject() || !read.path("kind").asString("Config").equals("Config")) {
            throw new InvalidInputException("kubeconfig " + file + " is not a kubeconfig (kind: Config), so Kastor will not merge into it:"
                    + " pass --file NEW_FILE");
        }
        for (String list : new String[] {"clusters", "users", "contexts"}) {
            JsonNode l = read.path(list);
            if (!l.isMissingNode() && !l.isNull() && !l.isArray()) {
                throw new InvalidInputException("kubeconfig " + file + ": " + list + " is not a list, so Kastor will not merge into it");
            }
        }
        return new KubeconfigFile((ObjectNode) read);
    }

    /** Cluster {@code name} at {@code server}, trusting {@code caData} (base64 PEM) when given. */
    KubeconfigFile cluster(String name, String server, String caData) {
        ObjectNode cluster = YAML.createObjectNode().put("server", server);
        if (caData != null) cluster.put("certificate-authority-data", caData);
        return put("clusters", name, "cluster", cluster);
    }

    /** User {@code name} with a bearer token written into the file. */
    KubeconfigFile tokenUser(String name, String token) {
        return put("users", name, "user", YAML.createObjectNode().put("token", token));
    }

    /**
     * User {@code name} whose token a program prints when kubectl asks (an exec credential plugin,
     * {@code client.authentication.k8s.io/v1}), so the token itself never enters the kubeconfig.
     */
    KubeconfigFile execUser(String name, String command, String... args) {
        ObjectNode exec = YAML.createObjectNode().put("apiVersion", TokenCommand.EXEC_API_VERSION).put("command", command);
        ArrayNode a = exec.putArray("args");
        for (String arg : args) a.add(arg);
        exec.put("interactiveMode", "Never");
        ObjectNode user = YAML.createObjectNode();
        user.set("exec", exec);
        return put("users", name, "user", user);
    }

    /** Context {@code name}: {@code cluster} as {@code user}, in {@code namespace} when given. */
    KubeconfigFile context(String name, String cluster, String user, String namespace) {
        ObjectNode context = YAML.createObjectNode().put("cluster", cluster).put("user", user);
        if (namespace != null) context.put("namespace", namespace);
        return put("contexts", name, "context", context);
    }

    KubeconfigFile currentContext(String name) {
        root.put("current-context", name);
        return this;
    }

    /** The current context, or null when the file names none. */
    String currentContext() {
        String current = root.path("current-context").asString("");
        return current.isEmpty() ? null : current;
    }

    /** Replaces the entry called {@code name} in {@code list}, or adds it at the end. */
    private KubeconfigFile put(String list, String name, String key, ObjectNode value) {
        JsonNode existing = root.path(list);
        ArrayNode entries = existing.isArray() ? (ArrayNode) existing : root.putArray(list);
        ObjectNode entry = YAML.createObjectNode().put("name", name);
        entry.set(key, value);
        for (int i = 0; i < entries.size(); i++) {
            if (name.equals(entries.get(i).path("name").asString(null))) {
                entries.set(i, entry);
                return this;
            }
        }
        entries.add(entry);
        return this;
    }

    /**
     * Writes the file whole or not at all: a temporary file beside it, mode 0600 (it may hold a token), moved over the
     * old one, so kubectl never reads half a kubeconfig and a failure leaves the old one as it was.
     */
    void write(Path target) {
        try {
            Path dir = target.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".kubeconfig", ".tmp");
            try {
                try {
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException ignored) {
                    // not a POSIX file system
                }
                Files.writeString(tmp, YAML.writeValueAsString(root), StandardCharsets.UTF_8);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write kubeconfig " + target + ": " + Causes.describe(e), e);
        }
    }
}
