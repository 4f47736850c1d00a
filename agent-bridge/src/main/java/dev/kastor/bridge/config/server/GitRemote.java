package dev.kastor.bridge.config.server;

import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.observability.Causes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;

/**
 * The instance's Git server as {@code agent_configuration} describes it: each project's URL from
 * {@code git_url_template}, basic auth from {@code username} and {@code password_file} (re-read at every use, so a
 * rotated password is picked up without a restart), and {@code ls-remote}. Every message it makes is scrubbed of
 * credentials. The config feature reads agent config files through it; the flux feature polls projects' refs.
 */
public final class GitRemote {
    /** Git could not be asked or did not answer as expected; the message holds no credentials. */
    public static final class GitFailure extends Exception {
        GitFailure(String message) {
            super(message, null, false, false);
        }
    }

    private final String urlTemplate;
    private final String username;
    private final String passwordFile;

    private GitRemote(String urlTemplate, String username, String passwordFile) {
        this.urlTemplate = urlTemplate;
        this.username = username;
        this.passwordFile = passwordFile;
    }

    /** From {@code agent_configuration} (with its defaults filled). */
    public static GitRemote of(KasConfig.AgentConfiguration settings) {
        return new GitRemote(settings.gitUrlTemplate(), settings.username(), settings.passwordFile());
    }

    /** Whether there is a Git server to ask: without {@code gitlab.url} nor {@code git_url_template} there is none. */
    public boolean configured() {
        return urlTemplate != null;
    }

    /** The URL of a project (its full path). */
    public String url(String project) {
        return urlTemplate.replace("{project}", project);
    }

    /** Every ref of the repository at {@code url}, by name (one round trip). */
    public Map<String, Ref> refs(String url) throws GitFailure {
        try {
            return Git.lsRemoteRepository().setRemote(url).setCredentialsProvider(credentials()).setTimeout(30).callAsMap();
        } catch (GitAPIException | RuntimeException e) {
            throw failure("cannot list the refs of " + scrub(url), e);
        }
    }

    /** Basic auth for JGit, or null without a username. */
    CredentialsProvider credentials() {
        return username == null ? null : new UsernamePasswordCredentialsProvider(username, password());
    }

    private String password() {
        if (passwordFile == null) return null;
        try {
            return Files.readString(Path.of(passwordFile)).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read agent_configuration.password_file " + passwordFile + ": " + Causes.describe(e), e);
        }
    }

    /** A failure of {@code what}, with the causes' messages (JGit nests the useful one), scrubbed. */
    GitFailure failure(String what, Exception e) {
        String msg = Causes.describe(e);
        Throwable c = e.getCause();
        while (c != null && c != c.getCause()) {
            if (c.getMessage() != null && !msg.contains(c.getMessage())) msg = msg + ": " + c.getMessage();
            c = c.getCause();
            if (msg.length() > 600) break;
        }
        return new GitFailure(scrub(what + ": " + msg));
    }

    /** Drops any user:password@ from a URL and the Git password wherever it appears (JGit and servers may echo it). */
    public String scrub(String text) {
        String s = text.replaceAll("(https?://)[^/@\\s]+@", "$1");
        String p;
        try {
            p = password();
        } catch (RuntimeException e) {
            p = null;
        }
        if (p != null && !p.isEmpty()) s = s.replace(p, "[redacted]");
        return s;
    }
}
