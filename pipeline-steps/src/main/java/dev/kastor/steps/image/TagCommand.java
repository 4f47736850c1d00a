package dev.kastor.steps.image;

import dev.kastor.oci.Progress;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.TagVerb;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "tag", description = {"Add tags to an image already in a registry: the manifest is copied, no layer is pulled or pushed.", "",
        "Examples:",
        "  kastor image tag $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA --tag $CI_COMMIT_TAG --tag latest",
        "  kastor image tag registry.example.com/group/app@$KASTOR_IMAGE_DIGEST --tag production", ""})
final class TagCommand extends TagVerb {
    @Parameters(index = "0", paramLabel = "SOURCE", description = "host/repo:tag or host/repo@sha256:... of the image to tag.")
    String source;

    TagCommand(Context ctx) {
        super(ctx, "KASTOR_IMAGE", "KASTOR_IMAGE_DIGEST");
    }

    @Override
    protected Tagged tag(Console console) {
        ImageRef ref = ImageRef.parse(source);
        var reg = registry.registries(ctx, Progress.NONE, console::warn).apply(ref.host());
        String tagOrDigest = ref.digest() != null ? ref.digest().toString() : ref.tag() == null ? "latest" : ref.tag();
        try (var section = console.section("image_tag", "Tagging " + source + " as " + String.join(", ", tags))) {
            return new Tagged(ref.name(), reg.retag(ref.repository(), tagOrDigest, tags));
        }
    }

    @Override
    protected Map<String, Object> json(Tagged tagged) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("image", reference(tagged));
        json.put("digest", tagged.digest().toString());
        json.put("tags", tags);
        json.put("repository", tagged.repository());
        return json;
    }

    @Override
    protected String reference(Tagged tagged) {
        return tagged.repository() + ":" + tags.get(0);
    }
}
