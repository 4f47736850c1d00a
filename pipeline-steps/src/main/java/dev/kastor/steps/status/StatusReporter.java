package dev.kastor.steps.status;

import dev.kastor.oci.KastorException;
import dev.kastor.steps.k8s.ObjectRef;
import dev.kastor.steps.k8s.SyncListener;
import dev.kastor.steps.k8s.Verdict;
import dev.kastor.steps.log.StepLog;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reports each waited object as a GitLab commit status ("external job"), named {@code flux/<kind>/<namespace>/<name>}
 * by default. Never posts the state a status already has (GitLab would refuse it with 400). The first post of the
 * wait must succeed (a bad token fails the job before anything else); later failures are warnings, so a GitLab
 * hiccup does not fail a deployment that worked.
 */
public final class StatusReporter implements SyncListener, AutoCloseable {
    public static final String DEFAULT_NAME = "flux/{kind}/{namespace}/{name}";

    private final GitLabStatuses gitlab;
    private final CommitStatus template;
    private final StepLog log;
    private final Map<String, String> posted = new HashMap<>();
    private String nameTemplate = DEFAULT_NAME;
    private boolean first = true;

    /** {@code log} is told each status posted, and each later post that failed. */
    StatusReporter(GitLabStatuses gitlab, CommitStatus template, StepLog log) {
        this.gitlab = gitlab;
        this.template = template;
        this.log = log;
    }

    /** {@code {kind}}, {@code {namespace}} and {@code {name}} are replaced; the kind in lower case. */
    public StatusReporter nameTemplate(String template) {
        this.nameTemplate = template;
        return this;
    }

    String name(ObjectRef ref) {
        return nameTemplate.replace("{kind}", ref.kind().toLowerCase(Locale.ROOT)).replace("{namespace}", String.valueOf(ref.namespace()))
                .replace("{name}", ref.name());
    }

    @Override
    public void changed(ObjectRef ref, Verdict verdict) {
        String state = verdict.phase().name().toLowerCase(Locale.ROOT);
        String name = name(ref);
        if (state.equals(posted.get(name))) return;
        var s = new CommitStatus(template.sha(), state, name, template.ref(), template.targetUrl(), verdict.reason(), template.pipelineId());
        try {
            boolean recorded = gitlab.post(s);
            posted.put(name, state);
            log.info("  status   " + name + " = " + state + (recorded ? "" : " (already)"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KastorException("interrupted while posting commit status " + name);
        } catch (KastorException e) {
            if (first) throw e;
            log.warn("could not report " + name + "=" + state + ": " + e.getMessage());
        } finally {
            first = false;
        }
    }

    @Override
    public void close() {}
}
