package dev.kastor.steps.cli;

import dev.kastor.oci.Digest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What {@code kastor artifact tag} and {@code kastor image tag} are alike: a manifest already in a registry gets more
 * tags, no blob moves, and the result reads "tagged NAME@DIGEST as TAG, ..." (or JSON, and dotenv values). Each verb
 * declares its SOURCE, tags through its own library and names its result's keys; the options are declared here in
 * the order both verbs had them (picocli reads a superclass's first), so the help and completion stay as they were.
 */
public abstract class TagVerb implements Callable<Integer> {
    protected final Context ctx;
    private final String referenceVariable;
    private final String digestVariable;

    @Option(names = {"-t", "--tag"}, required = true, paramLabel = "TAG", description = "Tag to add (repeatable).")
    protected List<String> tags = new ArrayList<>();

    @Mixin protected RegistryFlags registry;
    @Mixin OutputFlags output;

    /** @param referenceVariable and {@code digestVariable} name the dotenv values for the next job ({@code KASTOR_IMAGE}, ...) */
    protected TagVerb(Context ctx, String referenceVariable, String digestVariable) {
        this.ctx = ctx;
        this.referenceVariable = referenceVariable;
        this.digestVariable = digestVariable;
    }

    /** The tagged manifest: its repository ({@code host/repo}) and the digest every new tag now points at. */
    public record Tagged(String repository, Digest digest) {}

    /** Adds {@link #tags} to the verb's SOURCE. */
    protected abstract Tagged tag(Console console);

    /** The reference under the first new tag, as the verb's users write it. */
    protected abstract String reference(Tagged tagged);

    /** The result for {@code --output json}. */
    protected abstract Map<String, Object> json(Tagged tagged);

    @Override
    public final Integer call() {
        Tagged tagged = tag(new Console(ctx, output.json()));
        Map<String, String> dotenv = new LinkedHashMap<>(); // a stable order: dotenv files get diffed and reviewed
        dotenv.put(referenceVariable, reference(tagged));
        dotenv.put(digestVariable, tagged.digest().toString());
        output.emit(ctx, "tagged " + tagged.repository() + "@" + tagged.digest() + " as " + String.join(", ", tags), json(tagged), dotenv);
        return ExitCode.OK;
    }
}
