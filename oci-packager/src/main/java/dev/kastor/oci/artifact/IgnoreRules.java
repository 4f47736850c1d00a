package dev.kastor.oci.artifact;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.eclipse.jgit.ignore.IgnoreNode;

/**
 * Which paths stay out of a Flux artifact, in gitignore syntax (JGit's matcher, so the semantics are Git's).
 *
 * <p>The rules hold the base patterns: Flux's defaults, replaced by {@code --ignore-paths} ({@link #of}) or
 * extended by {@code --add-ignore-paths} ({@link #plus}). While walking, a {@value #SOURCE_IGNORE_FILE} file in
 * any directory adds patterns scoped to that directory, which take precedence over the base patterns and over
 * files higher up, as in Git and in Flux's source-controller; {@code !pattern} re-includes. Paths are
 * {@code /}-separated and relative to the packaged root. Immutable.
 */
public final class IgnoreRules {
    /** What {@code flux push artifact} leaves out when no {@code --ignore-paths} is given. */
    public static final List<String> FLUX_DEFAULTS = List.of(
            ".git/", ".gitignore", ".gitmodules", ".gitattributes",
            "*.jpg", "*.jpeg", "*.gif", "*.png", "*.wmv", "*.flv", "*.tar.gz", "*.zip");

    /** Read in every directory of the tree, like Flux's source-controller does. */
    public static final String SOURCE_IGNORE_FILE = ".sourceignore";

    private static final IgnoreRules DEFAULTS = new IgnoreRules(FLUX_DEFAULTS);

    private final List<String> patterns;
    private final IgnoreNode node;

    private IgnoreRules(List<String> patterns) {
        this.patterns = List.copyOf(patterns);
        this.node = parse(String.join("\n", this.patterns));
    }

    /** Flux's defaults ({@link #FLUX_DEFAULTS}); {@code .sourceignore} files are honoured on top. */
    public static IgnoreRules fluxDefaults() {
        return DEFAULTS;
    }

    /** Exactly these patterns instead of the defaults ({@code --ignore-paths}). */
    public static IgnoreRules of(Collection<String> patterns) {
        return new IgnoreRules(clean(patterns));
    }

    /** No base patterns at all: only {@code .sourceignore} files decide. */
    public static IgnoreRules none() {
        return new IgnoreRules(List.of());
    }

    /** These patterns after the current ones ({@code --add-ignore-paths}); later patterns win, so {@code !x} works. */
    public IgnoreRules plus(Collection<String> more) {
        var all = new ArrayList<>(patterns);
        all.addAll(clean(more));
        return new IgnoreRules(all);
    }

    /** Splits a flag value the way Flux's CLI does: comma-separated, blanks dropped. */
    public static List<String> parseList(String commaSeparated) {
        if (commaSeparated == null) {
            return List.of();
        }
        return clean(Arrays.asList(commaSeparated.split(",")));
    }

    public List<String> patterns() {
        return patterns;
    }

    /** Whether the base patterns alone ignore {@code path} (relative, {@code /}-separated); ignores .sourceignore. */
    public boolean ignores(String path, boolean directory) {
        return Boolean.TRUE.equals(node.checkIgnored(path, directory));
    }

    /** The matcher for the root of a walk; {@link Scope#enter} adds each directory's .sourceignore. */
    Scope rootScope() {
        return new Scope(null, "", node);
    }

    @Override
    public String toString() {
        return patterns.isEmpty() ? "(none)" : String.join(", ", patterns);
    }

    static IgnoreNode parse(String text) {
        var parsed = new IgnoreNode();
        try {
            parsed.parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen on an in-memory stream
        }
        return parsed;
    }

    private static List<String> clean(Collection<String> patterns) {
        return patterns.stream().map(String::strip).filter(p -> !p.isEmpty()).toList();
    }

    /**
     * The rules in force inside one directory: its own .sourceignore (if any), then its parents', then the base
     * patterns. The first that has an opinion on a path decides, which is Git's precedence.
     */
    static final class Scope {
        private final Scope parent;
        /** Directory of this scope's patterns relative to the root, "" for the root. */
        private final String directory;
        private final IgnoreNode node;

        private Scope(Scope parent, String directory, IgnoreNode node) {
            this.parent = parent;
            this.directory = directory;
            this.node = node;
        }

        /** The scope for {@code directory}, adding its .sourceignore content when it has one. */
        Scope enter(String directory, String sourceIgnoreContent) {
            if (sourceIgnoreContent == null) {
                return this;
            }
            return new Scope(this, directory, parse(sourceIgnoreContent));
        }

        boolean ignores(String path, boolean isDirectory) {
            for (Scope s = this; s != null; s = s.parent) {
                String local = s.directory.isEmpty() ? path : path.substring(s.directory.length() + 1);
                Boolean ignored = s.node.checkIgnored(local, isDirectory);
                if (ignored != null) {
                    return ignored;
                }
            }
            return false;
        }
    }
}
