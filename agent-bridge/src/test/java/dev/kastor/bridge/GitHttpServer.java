package dev.kastor.bridge;

import dev.kastor.testing.Eventually;
import dev.kastor.testing.Programs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real Git over HTTP for tests: {@code lighttpd -D} on a free 127.0.0.1 port running Git's own
 * {@code git-http-backend} as CGI under {@code /git/}, bare repositories {@code <project full path>.git}
 * ({@code git init --bare -b main}), optionally behind basic auth (lighttpd mod_auth, plain user file). Tests change
 * a repository with the real {@code git} CLI on the bare repository's path (clone, write, commit, push), so only the
 * reader under test goes through HTTP.
 */
public final class GitHttpServer implements AutoCloseable {
    public static final String BACKEND = "/usr/lib/git-core/git-http-backend";

    private final Path dir;
    private final Path repos;
    private final int port;
    private final Process process;

    private final String prefix;

    private GitHttpServer(Path dir, String username, String password, String prefix) {
        this.prefix = prefix;
        Path lighttpd = Path.of("/usr/sbin/lighttpd");
        if (!Files.isExecutable(lighttpd)) Programs.require("lighttpd", "lighttpd");
        Programs.require("git", "git");
        if (!Files.isExecutable(Path.of(BACKEND))) throw new IllegalStateException(BACKEND + " is missing (Debian package git)");
        this.dir = dir;
        this.repos = dir.resolve("repos");
        this.port = Programs.freePort();
        try {
            Files.createDirectories(repos);
            var conf = new StringBuilder("""
                    server.document-root = "%s"
                    server.bind = "127.0.0.1"
                    server.port = %d
                    server.modules = ("mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi")
                    server.errorlog = "%s"
                    alias.url = ("%s" => "%s/")
                    $HTTP["url"] =~ "^%s" {
                      cgi.assign = ("" => "")
                      setenv.set-environment = ("GIT_PROJECT_ROOT" => "%s", "GIT_HTTP_EXPORT_ALL" => "1")
                    }
                    """.formatted(dir, port, dir.resolve("error.log"), prefix, BACKEND, prefix, repos));
            if (username != null) {
                Files.writeString(dir.resolve("users"), username + ":" + password + "\n");
                conf.append("""
                        auth.backend = "plain"
                        auth.backend.plain.userfile = "%s"
                        auth.require = ("%s" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))
                        """.formatted(dir.resolve("users"), prefix));
            }
            Path confFile = dir.resolve("lighttpd.conf");
            Files.writeString(confFile, conf);
            process = new ProcessBuilder(lighttpd.toString(), "-D", "-f", confFile.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("lighttpd.out").toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start lighttpd: " + e.getMessage(), e);
        }
        awaitListening();
    }

    /** Anonymous read access. */
    public static GitHttpServer start(Path dir) {
        return new GitHttpServer(dir, null, null, "/git/");
    }

    /**
     * Anonymous read access with repositories at the root, {@code http://127.0.0.1:<port>/<project>.git}, as GitLab
     * serves them (gitlab-ci-local clones {@code include: project:} and components from there).
     */
    public static GitHttpServer startAtRoot(Path dir) {
        return new GitHttpServer(dir, null, null, "/");
    }

    /** Every request needs basic auth with this user and password. */
    public static GitHttpServer startWithBasicAuth(Path dir, String username, String password) {
        return new GitHttpServer(dir, username, password, "/git/");
    }

    private void awaitListening() {
        try {
            Eventually.until(Duration.ofSeconds(20), () -> "lighttpd listens on 127.0.0.1:" + port, this::listening);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while lighttpd started", e);
        }
    }

    private boolean listening() {
        if (!process.isAlive()) throw new IllegalStateException("lighttpd exited at start: " + read(dir.resolve("lighttpd.out")) + read(dir.resolve("error.log")));
        try (var s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    /** {@code http://127.0.0.1:<port>/git/{project}.git}: KAS's {@code agent_configuration.git_url_template}. */
    public String urlTemplate() {
        return "http://127.0.0.1:" + port + prefix + "{project}.git";
    }

    public String url(String project) {
        return urlTemplate().replace("{project}", project);
    }

    /** A new bare repository for {@code project} (full path, e.g. group/agents) with default branch main. */
    public void createRepo(String project) {
        Path bare = bare(project);
        try {
            Files.createDirectories(bare.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Programs.check(List.of("git", "init", "-q", "--bare", "-b", "main", bare.toString()), 30);
        // partial clones (--filter), which gitlab-ci-local asks for when it fetches an included file
        Programs.check(List.of("git", "-C", bare.toString(), "config", "uploadpack.allowFilter", "true"), 30);
    }

    /** Writes {@code content} to {@code path} in {@code project} on main and pushes it; returns the new commit id. */
    public String commit(String project, String path, String content) {
        return commit(project, path, content.getBytes(StandardCharsets.UTF_8));
    }

    public String commit(String project, String path, byte[] content) {
        return commit(project, java.util.Map.of(path, content), "change " + path);
    }

    /** Writes every file of {@code files} (path to content) in one commit on main of {@code project} and pushes it; returns its id. */
    public String commit(String project, java.util.Map<String, byte[]> files, String message) {
        Path work = dir.resolve("work-" + System.nanoTime());
        try {
            Programs.check(List.of("git", "clone", "-q", bare(project).toString(), work.toString()), 60);
            for (var e : files.entrySet()) {
                Path file = work.resolve(e.getKey());
                Files.createDirectories(file.getParent());
                Files.write(file, e.getValue());
            }
            git(work, "add", "-A");
            git(work, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "--allow-empty", "-m", message);
            git(work, "push", "-q", "origin", "HEAD:main");
            return git(work, "rev-parse", "HEAD").trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            Programs.deleteTree(work);
        }
    }

    private static String git(Path work, String... args) {
        var cmd = new java.util.ArrayList<String>(List.of("git", "-C", work.toString()));
        cmd.addAll(List.of(args));
        return Programs.check(cmd, 60);
    }

    /** The bare repository of {@code project} on disk: a test pushes to it directly ({@code git push <path> ...}). */
    public Path bare(String project) {
        return repos.resolve(project + ".git");
    }

    /** lighttpd's error log (CGI failures land here). */
    public String errorLog() {
        return read(dir.resolve("error.log"));
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
