package dev.kastor.steps.status;

import dev.kastor.oci.Causes;
import dev.kastor.oci.KastorException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.Consumer;

/**
 * GitLab's commit status API over the JDK HttpClient. Retries 429 (honouring Retry-After), 5xx and a connection that
 * broke after it was made, with backoff, each retry announced to {@code notices}; a connection that cannot be made
 * (refused, unknown host, no answer within {@link #CONNECT_TIMEOUT}) fails at once, since it is a wrong address far
 * more often than a passing fault. Treats GitLab's "Cannot transition status via :x from :x" (the state is already
 * there) as done; turns 401/403/404 into messages that say which token and what scope. The token is sent as
 * PRIVATE-TOKEN and never printed.
 */
public final class GitLabStatuses {
    private static final int ATTEMPTS = 5;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    private final URI api;
    private final String token;
    private final String tokenSource;
    private final String project;
    private final Duration baseBackoff;
    private final Consumer<String> notices;

    public GitLabStatuses(URI apiV4, String token, String tokenSource, String project, Duration baseBackoff, Consumer<String> notices) {
        this.api = apiV4;
        this.token = token;
        this.tokenSource = tokenSource;
        this.project = project;
        this.baseBackoff = baseBackoff;
        this.notices = notices;
    }

    /** Posts one status; returns true when GitLab recorded it, false when it already had that state. */
    public boolean post(CommitStatus s) throws InterruptedException {
        URI uri = URI.create(api.toString().replaceAll("/+$", "") + "/projects/" + URLEncoder.encode(project, StandardCharsets.UTF_8)
                + "/statuses/" + s.sha());
        String form = form(s);
        KastorException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            HttpResponse<String> r;
            try {
                r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                        .header("PRIVATE-TOKEN", token).header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                last = new KastorException("cannot reach GitLab at " + api + ": " + Causes.describe(e)
                        + " (check --gitlab-api or CI_API_V4_URL, and that the job can reach that host)", e);
                if (e instanceof ConnectException || e instanceof HttpConnectTimeoutException) throw last;
                sleep(attempt, null, last.getMessage());
                continue;
            }
            int code = r.statusCode();
            if (code == 200 || code == 201) return true;
            if (code == 400 && r.body().contains("Cannot transition status")) return false;
            if (code == 429 || code >= 500) {
                last = new KastorException("GitLab answered " + code + " to the commit status " + s.name() + " after " + attempt + " attempts");
                sleep(attempt, r.headers().firstValue("Retry-After").orElse(null), "GitLab answered " + code + " to the commit status " + s.name());
                continue;
            }
            throw refused(code, r.body(), s);
        }
        throw last;
    }

    private KastorException refused(int code, String body, CommitStatus s) {
        String what = "GitLab refused commit status " + s.name() + "=" + s.state() + " on " + project + "@" + s.sha() + ": " + code;
        return new KastorException(switch (code) {
            case 401 -> what + " Unauthorized: the token from " + tokenSource + " is invalid, expired or revoked (it needs the api scope;"
                    + " CI_JOB_TOKEN cannot post commit statuses)";
            case 403 -> what + " Forbidden: the token from " + tokenSource + " lacks the api scope or the Developer role on the project";
            case 404 -> what + " Not Found: the project or commit does not exist, or the token from " + tokenSource + " cannot see it";
            default -> what + " " + body.strip();
        });
    }

    /** Waits before the next attempt, saying why and for how long, so a slow step is never a silent one. */
    private void sleep(int attempt, String retryAfter, String why) throws InterruptedException {
        if (attempt == ATTEMPTS) return;
        long ms = baseBackoff.toMillis() << Math.min(attempt - 1, 6);
        if (retryAfter != null && retryAfter.matches("\\d+")) ms = Math.max(ms, Long.parseLong(retryAfter) * 1000);
        ms = Math.min(ms, 30_000);
        notices.accept(String.format(Locale.ROOT, "%s; attempt %d of %d in %.1f s", why, attempt + 1, ATTEMPTS, ms / 1000.0));
        Thread.sleep(ms);
    }

    private static String form(CommitStatus s) {
        var p = new LinkedHashMap<String, String>();
        p.put("state", s.state());
        p.put("name", s.name());
        p.put("ref", s.ref());
        p.put("target_url", s.targetUrl());
        p.put("description", s.description());
        p.put("pipeline_id", s.pipelineId());
        var j = new StringJoiner("&");
        for (Map.Entry<String, String> e : p.entrySet()) {
            if (e.getValue() != null) j.add(e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
        }
        return j.toString();
    }
}
