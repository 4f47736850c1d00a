package dev.kastor.citemplates;

import dev.kastor.testing.Programs;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A GitLab project in a temporary Git repository, and its pipelines run by gitlab-ci-local (the real runner's job
 * semantics: includes, inputs, extends, rules, needs, dotenv reports) with the shell executor, which ignores
 * {@code image:}: the jobs call the {@code kastor} this checkout built, through a launcher on the PATH.
 *
 * <p>gitlab-ci-local fills GitLab's predefined variables from the Git remote ({@code CI_PROJECT_PATH}, {@code
 * CI_COMMIT_*}); {@link #variables} are what a project's CI/CD settings would add, and they win over the predefined
 * ones of the same name ({@code CI_REGISTRY}, {@code CI_JOB_TOKEN}, {@code CI_API_V4_URL}, ...) as GitLab's own
 * values would be in a real instance. {@code GITLAB_CI} is {@code true}, as in GitLab (gitlab-ci-local says false).
 */
final class GitLabCiLocal {
    /** What the README's test command installs (scripts/test): the newest gitlab-ci-local that runs on Node 20. */
    static final String VERSION = "4.73.0";
    static final String DEFAULT_REMOTE = "https://gitlab.example.com/group/app.git";

    /** One pipeline run: gitlab-ci-local's exit code and everything it printed (job logs included). */
    record Run(int exit, String output) {
        @Override
        public String toString() {
            return "gitlab-ci-local exit " + exit + ":\n" + output;
        }
    }

    final Path dir;
    final Map<String, String> variables = new LinkedHashMap<>();
    private final Path binary;
    private final Path bin;

    private GitLabCiLocal(Path dir, Path binary, Path bin) {
        this.dir = dir;
        this.binary = binary;
        this.bin = bin;
        variables.put("GITLAB_CI", "true");
    }

    /** A new project in {@code dir} whose Git remote is {@code remote} (the project path comes from it). */
    static GitLabCiLocal project(Path dir, String remote) {
        Path binary = binary();
        Programs.require("rsync", "rsync");
        try {
            Files.createDirectories(dir);
            Path bin = Files.createDirectories(dir.resolveSibling(dir.getFileName() + "-bin"));
            Path kastor = bin.resolve("kastor");
            Files.writeString(kastor, "#!/bin/sh\nexec " + Repo.ROOT.resolve("kastor") + " \"$@\"\n");
            kastor.toFile().setExecutable(true);
            var project = new GitLabCiLocal(dir, binary, bin);
            project.git("init", "-q", "-b", "main");
            project.git("remote", "add", "origin", remote);
            return project;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path binary() {
        String configured = System.getenv("KASTOR_GITLAB_CI_LOCAL");
        Path local = Repo.ROOT.resolve(".tools/gitlab-ci-local/node_modules/.bin/gitlab-ci-local");
        Path p = configured != null ? Path.of(configured) : Files.isExecutable(local) ? local : null;
        if (p == null) {
            try {
                p = Programs.require("gitlab-ci-local", "npm gitlab-ci-local@" + VERSION);
            } catch (IllegalStateException e) {
                throw new IllegalStateException("gitlab-ci-local " + VERSION + " is not installed: run the README's test command"
                        + " (./scripts/test installs it into .tools/), or npm install --prefix .tools/gitlab-ci-local gitlab-ci-local@" + VERSION, e);
            }
        }
        String version = Programs.check(List.of(p.toString(), "--version"), 60).trim();
        if (!version.equals(VERSION)) {
            throw new IllegalStateException(p + " is gitlab-ci-local " + version + ", the tests need " + VERSION + " (./scripts/test installs it)");
        }
        return p;
    }

    GitLabCiLocal variable(String name, String value) {
        variables.put(name, value);
        return this;
    }

    /** Writes a file of the project (parents created); a {@code .gitlab-ci.yml} must be valid by GitLab's schema first. */
    GitLabCiLocal write(String path, String content) {
        if (path.equals(".gitlab-ci.yml")) GitLabCiSchemaTest.assertValid(content);
        try {
            Path f = dir.resolve(path);
            Files.createDirectories(f.getParent());
            Files.writeString(f, content);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies a file or directory of this repository into the project. */
    GitLabCiLocal copy(Path from, String to) {
        try {
            Path target = dir.resolve(to);
            if (Files.isDirectory(from)) {
                try (var s = Files.walk(from)) {
                    for (Path p : s.toList()) {
                        Path t = target.resolve(from.relativize(p).toString());
                        if (Files.isDirectory(p)) Files.createDirectories(t);
                        else Files.copy(p, t, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            } else {
                Files.createDirectories(target.getParent());
                Files.copy(from, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Commits everything and returns the commit's sha ({@code CI_COMMIT_SHA} of the next run). */
    String commit(String message) {
        git("add", "-A");
        git("-c", "user.name=Kastor Test", "-c", "user.email=test@kastor.invalid", "commit", "-q", "--allow-empty", "-m", message);
        // gitlab-ci-local takes the default branch from origin/HEAD (and warns without it): main, as in GitLab here.
        git("update-ref", "refs/remotes/origin/main", "refs/heads/main");
        git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main");
        return git("rev-parse", "HEAD").trim();
    }

    String git(String... args) {
        var cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        return Programs.check(cmd, 60);
    }

    /** The default-branch pipeline (every job its rules let in), or just {@code jobs}. */
    Run pipeline(String... jobs) {
        return run(List.of(), jobs);
    }

    /** A tag pipeline: {@code CI_COMMIT_TAG} set, no {@code CI_COMMIT_BRANCH}, as GitLab runs it. */
    Run tagPipeline(String tag, String... jobs) {
        return run(List.of("--variable", "CI_COMMIT_TAG=" + tag, "--variable", "CI_COMMIT_REF_NAME=" + tag,
                "--variable", "CI_COMMIT_REF_SLUG=" + tag.toLowerCase().replaceAll("[^a-z0-9]", "-"), "--unset-variable", "CI_COMMIT_BRANCH"), jobs);
    }

    /** Lists the jobs a pipeline would run, or fails the way GitLab refuses the configuration. */
    Run list() {
        return run(List.of("--list"));
    }

    Run run(List<String> extra, String... jobs) {
        var cmd = new ArrayList<>(List.of(binary.toString(), "--force-shell-executor", "--shell-isolation", "--no-artifacts-to-source",
                "--no-color", "--max-job-name-padding", "0"));
        cmd.addAll(extra);
        for (var v : variables.entrySet()) cmd.addAll(List.of("--variable", v.getKey() + "=" + v.getValue()));
        var ours = new ArrayList<>(variables.keySet());
        for (int i = 0; i + 1 < extra.size(); i++) {
            if (extra.get(i).equals("--variable")) ours.add(extra.get(i + 1).substring(0, extra.get(i + 1).indexOf('=')));
        }
        cmd.addAll(List.of("--ignore-predefined-vars", String.join(",", ours)));
        cmd.addAll(List.of(jobs));
        try {
            Path log = Files.createTempFile("gitlab-ci-local", ".log");
            try {
                var pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                pb.environment().put("PATH", bin + File.pathSeparator + pb.environment().getOrDefault("PATH", "/usr/bin:/bin"));
                Process p = pb.start();
                if (!p.waitFor(15, TimeUnit.MINUTES)) {
                    p.destroyForcibly().waitFor();
                    throw new IllegalStateException("gitlab-ci-local did not finish in 15 min:\n" + Files.readString(log));
                }
                var run = new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
                System.out.println("== " + dir.getFileName() + ": " + String.join(" ", cmd.subList(1, cmd.size())).replaceAll("--variable (\\S*(?:TOKEN|PASSWORD))=\\S*", "--variable $1=…") + "\n" + run);
                return run;
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
