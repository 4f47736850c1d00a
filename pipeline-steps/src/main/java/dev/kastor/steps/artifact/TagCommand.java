package dev.kastor.steps.artifact;

import dev.kastor.oci.flux.FluxArtifacts;
import dev.kastor.oci.registry.Reference;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import dev.kastor.steps.cli.TagVerb;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "tag", description = {"Add tags to an artifact already in a registry; no blob is moved.", "",
        "Example: kastor artifact tag oci://registry.example.com/app/manifests@$KASTOR_ARTIFACT_DIGEST --tag production", ""})
final class TagCommand extends TagVerb {
    @Parameters(index = "0", paramLabel = "SOURCE", description = "oci://HOST/REPO@sha256:... (or :TAG, resolved to its digest first).")
    String source;

    TagCommand(Context ctx) {
        super(ctx, "KASTOR_ARTIFACT_URL", "KASTOR_ARTIFACT_DIGEST");
    }

    @Override
    protected Tagged tag(Console console) {
        FluxArtifacts.TagResult result = registry.artifacts(ctx, console).tag(Reference.parse(source), tags);
        return new Tagged(result.repository(), result.digest());
    }

    @Override
    protected Map<String, Object> json(Tagged tagged) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("url", reference(tagged));
        json.put("repository", tagged.repository());
        json.put("tags", tags);
        json.put("digest", tagged.digest().toString());
        return json;
    }

    @Override
    protected String reference(Tagged tagged) {
        return Reference.PREFIX + tagged.repository() + ":" + tags.get(0);
    }
}
