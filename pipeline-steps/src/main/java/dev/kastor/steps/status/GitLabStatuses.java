package dev.kastor.steps.status;

import dev.kastor.oci.KastorException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * GitLab's commit status API over the JDK HttpClient. Retries 429 (honouring Retry-After) and 5xx with backoff;
 * treats GitLab's "Cannot transition status via :x from :x" (the state is already there) as done; turns 401/403/404
 * into messages that say which token and what scope. The token is sent as PRIVATE-TOKEN and never printed.
 */
public final class GitLabStatuses {
    private static final int ATTEMPTS = 5;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI api;
    private final String token;
    private final String tokenSource;
    private final String project;
    private final Duration baseBackoff;

    public GitLabStatuses(URI apiV4, String token, String tokenSource, String project, Duration baseBackoff) {
        this.api = apiV4;
        this.token = token;
        this.tokenSource = tokenSource;
        this.project = project;
        this.baseBackoff = baseBackoff;
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
                last = new KastorException("cannot reach GitLab at " + api + ": " + e.getMessage(), e);
                sleep(attempt, null);
                continue;
            }
            int code = r.statusCode();
            if (code == 200 || code == 201) return true;
            if (code == 400 && r.body().contains("Cannot transition status")) return false;
            if (code == 429 || code >= 500) {
                last = new KastorException("GitLab answered " + code + " to the commit status " + s.name() + " after " + attempt + " attempts");
                sleep(attempt, r.headers().firstValue("Retry-After").orElse(null));
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

    private void sleep(int attempt, String retryAfter) throws InterruptedException {
        if (attempt == ATTEMPTS) return;
        long ms = baseBackoff.toMillis() << Math.min(attempt - 1, 6);
        if (retryAfter != null && retryAfter.matches("\\d+")) ms = Math.max(ms, Long.parseLong(retryAfter) * 1000);
        Thread.sleep(Math.min(ms, 30_000));
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
