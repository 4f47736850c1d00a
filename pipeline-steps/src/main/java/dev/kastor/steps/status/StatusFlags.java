package dev.kastor.steps.status;

import dev.kastor.oci.Causes;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.UsageException;
import dev.kastor.steps.cli.Console;
import dev.kastor.steps.cli.Context;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Where and as what to post commit statuses; every default comes from GitLab CI's predefined variables. */
public final class StatusFlags {
    static final String TOKEN_VARIABLE = "KASTOR_GITLAB_TOKEN";

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File holding a GitLab token with api scope (default: the KASTOR_GITLAB_TOKEN variable). CI_JOB_TOKEN cannot post statuses.")
    String tokenFile;

    @Option(names = "--gitlab-api", paramLabel = "URL", description = "GitLab API v4 URL (default: CI_API_V4_URL).")
    String apiUrl;

    @Option(names = "--project", paramLabel = "ID", description = "Project id or full path (default: CI_PROJECT_ID).")
    String project;

    @Option(names = "--sha", paramLabel = "SHA", description = "Commit (default: CI_COMMIT_SHA).")
    String sha;

    @Option(names = "--ref", paramLabel = "REF", description = "Branch or tag (default: CI_COMMIT_REF_NAME).")
    String ref;

    @Option(names = "--pipeline-id", paramLabel = "ID", description = "Pipeline to attach the status to (default: CI_PIPELINE_ID).")
    String pipelineId;

    @Option(names = "--target-url", paramLabel = "URL", description = "Link of the status (default: CI_ENVIRONMENT_URL, else CI_JOB_URL).")
    String targetUrl;

    /** Test hook: backoff of the first retry. */
    Duration baseBackoff = Duration.ofMillis(500);

    public StatusReporter reporter(Context ctx, Console console) {
        return new StatusReporter(client(ctx, console), template(ctx), console);
    }

    /** A status with everything but state, name and description filled from flags and CI variables. */
    CommitStatus template(Context ctx) {
        String commit = or(sha, ctx.env("CI_COMMIT_SHA"));
        if (commit == null) throw new InvalidInputException("which commit? pass --sha or run in GitLab CI (CI_COMMIT_SHA)");
        if (!commit.matches("[0-9a-f]{7,64}")) throw new UsageException("--sha " + commit + " is not a commit sha");
        String target = or(targetUrl, or(ctx.env("CI_ENVIRONMENT_URL"), ctx.env("CI_JOB_URL")));
        return new CommitStatus(commit, null, null, or(ref, ctx.env("CI_COMMIT_REF_NAME")), target, null, or(pipelineId, ctx.env("CI_PIPELINE_ID")));
    }

    /** The API client; its retries are announced as warnings on {@code console}. */
    GitLabStatuses client(Context ctx, Console console) {
        String api = or(apiUrl, ctx.env("CI_API_V4_URL"));
        if (api == null) throw new InvalidInputException("no GitLab API URL: pass --gitlab-api https://gitlab.example.com/api/v4 or run in GitLab CI (CI_API_V4_URL)");
        String proj = or(project, ctx.env("CI_PROJECT_ID"));
        if (proj == null) throw new InvalidInputException("which project? pass --project ID or run in GitLab CI (CI_PROJECT_ID)");
        String token;
        String source;
        if (tokenFile != null) {
            Path f = ctx.path(tokenFile);
            try {
                token = Files.readString(f).strip();
            } catch (IOException e) {
                throw new InvalidInputException("cannot read --token-file " + f + ": " + Causes.describe(e), e);
            }
            source = "--token-file " + tokenFile;
            if (token.isEmpty()) throw new InvalidInputException("--token-file " + f + " is empty");
        } else {
            token = ctx.env(TOKEN_VARIABLE);
            source = TOKEN_VARIABLE;
        }
        if (token == null) {
            throw new InvalidInputException("no GitLab token to post commit statuses: CI_JOB_TOKEN cannot post them (GitLab refuses it)."
                    + " Create a project access token with the api scope (role Developer), store it as a masked CI/CD variable "
                    + TOKEN_VARIABLE + ", or pass --token-file FILE");
        }
        return new GitLabStatuses(URI.create(api), token, source, proj, baseBackoff, console::warn);
    }

    private static String or(String a, String b) {
        return a != null && !a.isBlank() ? a : b;
    }
}
