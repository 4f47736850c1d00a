package dev.kastor.steps.image;

import dev.kastor.oci.Digest;
import dev.kastor.oci.Progress;
import dev.kastor.oci.registry.Registry;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.OutputFlags;
import dev.kastor.steps.cli.RegistryFlags;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "tag", description = {"Add tags to an image already in a registry: the manifest is copied, no layer is pulled or pushed.", "",
        "Examples:",
        "  kastor image tag $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA --tag $CI_COMMIT_TAG --tag latest",
        "  kastor image tag registry.example.com/group/app@$KASTOR_IMAGE_DIGEST --tag production", ""})
final class TagCommand implements Callable<Integer> {
    private final Context ctx;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "host/repo:tag or host/repo@sha256:... of the image to tag.")
    String source;

    @Option(names = {"-t", "--tag"}, required = true, paramLabel = "TAG", description = "Tag to add (repeatable).")
    List<String> tags = new ArrayList<>();

    @Mixin RegistryFlags registry;
    @Mixin OutputFlags output;

    TagCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        var console = new Console(ctx, output.json());
        ImageRef ref = ImageRef.parse(source);
        Registry reg = registry.registries(ctx, Progress.NONE, console::warn).apply(ref.host());
        String tagOrDigest = ref.digest() != null ? ref.digest().toString() : ref.tag() == null ? "latest" : ref.tag();
        Digest digest;
        try (var section = console.section("image_tag", "Tagging " + source + " as " + String.join(", ", tags))) {
            digest = reg.retag(ref.repository(), tagOrDigest, tags);
        }
        String image = ref.name() + ":" + tags.get(0);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("image", image);
        json.put("digest", digest.toString());
        json.put("tags", tags);
        json.put("repository", ref.name());
        Map<String, String> env = new LinkedHashMap<>(); // a stable order: dotenv files get diffed and reviewed
        env.put("KASTOR_IMAGE", image);
        env.put("KASTOR_IMAGE_DIGEST", digest.toString());
        output.emit(ctx, "tagged " + ref.name() + "@" + digest + " as " + String.join(", ", tags), json, env);
        return 0;
    }
}
