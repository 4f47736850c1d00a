package dev.kastor.testing.kube;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Git repository on disk, read and written with the {@code git} program (other people's code, as
 * {@link RegistryTags} is for the registry): commits to play a project's pushes, and {@link #resolve} as the
 * {@link FluxControllersStandIn.CommitResolver} lookup of what a ref points to now.
 */
public final class GitRefs {
    private final Path dir;

    private GitRefs(Path dir) {
        this.dir = dir;
    }

    /** A new repository in {@code dir} (created), on branch {@code main}. */
    public static GitRefs init(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        git(dir, "init", "-q", "-b", "main");
        return new GitRefs(dir);
    }

    /** A new commit on the current branch, changing one file; returns its full sha. */
    public String commit(String message) throws IOException, InterruptedException {
        Files.writeString(dir.resolve("app.yaml"), "# " + message + "\n", StandardCharsets.UTF_8);
        git(dir, "add", "app.yaml");
        git(dir, "-c", "user.name=Kastor Test", "-c", "user.email=test@kastor.invalid", "commit", "-q", "-m", message);
        return git(dir, "rev-parse", "HEAD").strip();
    }

    /** Tags the current commit (lightweight). */
    public void tag(String name) throws IOException, InterruptedException {
        git(dir, "tag", name);
    }

    /** The commit {@code ref} (a full ref name, e.g. {@code refs/heads/main}) points to, or null when there is no such ref. */
    public String resolve(String ref) throws IOException, InterruptedException {
        String out = git(dir, "ls-remote", dir.toString(), ref);
        for (String line : out.split("\n")) {
            String[] f = line.split("\t");
            if (f.length == 2 && f[1].equals(ref)) return f[0];
        }
        return null;
    }

    private static String git(Path dir, String... args) throws IOException, InterruptedException {
        var cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + " failed: " + out);
        return out;
    }
}
