package dev.kastor.oci.flux;

import dev.kastor.oci.Causes;
import dev.kastor.oci.Descriptor;
import dev.kastor.oci.Digest;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * An OCI image manifest in the Flux artifact form: config {@code application/vnd.cncf.flux.config.v1+json}, one
 * layer {@code application/vnd.cncf.flux.content.v1.tar+gzip}, and the annotations. Serialised with a fixed field
 * order and sorted annotations, so the same inputs always give the same manifest digest.
 */
public record FluxManifest(Descriptor config, List<Descriptor> layers, Map<String, String> annotations) {
    /** Flux's config blob is an empty JSON object: source-controller never reads it. */
    public static final byte[] CONFIG_BLOB = "{}".getBytes(StandardCharsets.UTF_8);
    /** Every Flux artifact's config: the same two bytes, known before any layer is built. */
    public static final Descriptor CONFIG = new Descriptor(MediaTypes.FLUX_CONFIG, Digest.of(CONFIG_BLOB), CONFIG_BLOB.length);

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public FluxManifest {
        layers = List.copyOf(layers);
        annotations = Collections.unmodifiableMap(new TreeMap<>(annotations));
    }

    public static FluxManifest of(Descriptor layer, ArtifactMetadata metadata) {
        var config = CONFIG;
        return new FluxManifest(config, List.of(layer), metadata.annotations());
    }

    public Descriptor layer() {
        return layers.get(0);
    }

    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("schemaVersion", 2);
        root.put("mediaType", MediaTypes.OCI_MANIFEST);
        root.set("config", descriptorNode(config));
        var layerArray = root.putArray("layers");
        layers.forEach(l -> layerArray.add(descriptorNode(l)));
        if (!annotations.isEmpty()) {
            var a = root.putObject("annotations");
            annotations.forEach(a::put);
        }
        return JSON.writeValueAsBytes(root);
    }

    /** Reads any OCI image manifest; {@link #isFlux()} tells whether it is in the Flux form. */
    public static FluxManifest parse(byte[] json, String where) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (RuntimeException e) {
            throw new InvalidInputException(where + " is not a JSON manifest: " + Causes.describe(e));
        }
        if (root.path("config").isMissingNode() || !root.path("layers").isArray()) {
            throw new InvalidInputException(where + " is not an OCI image manifest (media type "
                    + root.path("mediaType").asString("none") + "): an image index or a Docker v1 manifest cannot hold a Flux artifact");
        }
        var layers = new ArrayList<Descriptor>();
        root.path("layers").forEach(l -> layers.add(descriptor(l)));
        var annotations = new TreeMap<String, String>();
        root.path("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asString()));
        return new FluxManifest(descriptor(root.path("config")), layers, annotations);
    }

    public boolean isFlux() {
        return MediaTypes.FLUX_CONFIG.equals(config.mediaType())
                && layers.size() == 1
                && MediaTypes.FLUX_CONTENT.equals(layers.get(0).mediaType());
    }

    private static ObjectNode descriptorNode(Descriptor d) {
        ObjectNode n = JSON.createObjectNode();
        n.put("mediaType", d.mediaType());
        n.put("digest", d.digest().toString());
        n.put("size", d.size());
        if (!d.annotations().isEmpty()) {
            var a = n.putObject("annotations");
            d.annotations().forEach(a::put);
        }
        return n;
    }

    private static Descriptor descriptor(JsonNode n) {
        var annotations = new TreeMap<String, String>();
        n.path("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asString()));
        return new Descriptor(n.path("mediaType").asString(), Digest.parse(n.path("digest").asString()), n.path("size").asLong(), annotations);
    }
}
