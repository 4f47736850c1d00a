package dev.kastor.steps;

import dev.kastor.testing.Programs;
import dev.kastor.testing.Skopeo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * Looks at pushed images with other people's code only: skopeo reads manifest and config, skopeo copies the image
 * to an OCI layout, GNU tar lists each layer. A test thus never agrees with Kastor by sharing its bugs.
 */
public final class Images {
    private Images() {}

    public static JsonNode manifest(String hostRepoTag) {
        return Artifacts.json(Skopeo.inspectRaw(hostRepoTag, null));
    }

    /** The image configuration's {@code config} part (Entrypoint, Cmd, Env, Labels, User, WorkingDir, ExposedPorts). */
    public static JsonNode config(String hostRepoTag) {
        return Artifacts.json(Skopeo.inspectConfig(hostRepoTag, null)).path("config");
    }

    /** Every layer's file list (GNU tar -tzf), bottom layer first. */
    public static List<List<String>> layerFiles(String hostRepoTag, Path scratch) {
        Path layout = scratch.resolve("copy-" + Math.abs(hostRepoTag.hashCode()));
        Skopeo.copyToOciLayout(hostRepoTag, layout, "x", null);
        return layerFilesInLayout(layout, Artifacts.json(Skopeo.inspectRawOciLayout(layout, "x")));
    }

    public static List<List<String>> layerFilesInLayout(Path layout, JsonNode manifest) {
        var out = new ArrayList<List<String>>();
        for (JsonNode layer : manifest.path("layers")) {
            Path blob = layout.resolve("blobs/sha256").resolve(layer.path("digest").asString().substring("sha256:".length()));
            String listing = Programs.check(List.of("tar", "-tvzf", blob.toString()), 60);
            out.add(Arrays.stream(listing.split("\\R")).filter(l -> !l.isBlank()).toList());
        }
        return out;
    }

    public static List<String> strings(JsonNode array) {
        var out = new ArrayList<String>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }
}
