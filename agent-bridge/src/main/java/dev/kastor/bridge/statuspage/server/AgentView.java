package dev.kastor.bridge.statuspage.server;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One agent as the status page shows it, and as {@code /api/v1/status/agents} says it ({@link #json()}): the page and
 * its JSON come from this one value. A null part is one this KAS has no source for; the JSON then leaves its keys out.
 *
 * @param connected whether it holds tunnel streams on this KAS, or with several replicas on any; null without the tunnel
 *                  module, or when Redis cannot say whether another replica holds it
 * @param since     since when it has held streams here, or once disconnected since when none; null: never connected here
 * @param replicas  which replicas hold it; null on a single node
 */
public record AgentView(long id, String name, String configProject, Boolean connected, String since, Integer openTunnels,
                        Integer idleTunnels, Replicas replicas, List<Pod> pods, Config config, Cluster cluster, ExternalJobs externalJobs) {
    /**
     * The commit statuses the pipeline steps posted (GitLab's external jobs) for the commits its cluster runs: those of
     * its deployments' current applies and of its Flux sources, newest first; {@code problems} says which commits could
     * not be asked. Null when KAS cannot ask GitLab (no {@code gitlab.url} or no {@code gitlab.api_token_file}).
     */
    public record ExternalJobs(List<ExternalJob> jobs, List<String> problems) {}

    /** One commit status: its project and commit, name, state, description, link and when it last changed. */
    public record ExternalJob(String project, String sha, String name, String status, String description, String targetUrl,
                              java.time.Instant time) {
        /** To the second, as the page says every time; null when GitLab gave none. */
        public String shownTime() {
            return time == null ? null : seconds(time);
        }

        /** The link, only for http(s): a status's URL is whatever a token holder posted. */
        public String link() {
            return httpOnly(targetUrl);
        }

        public String shortSha() {
            return sha.substring(0, 8);
        }
    }

    /**
     * With several replicas: whether this one holds it, and the private API URLs of all that do (this one first), as
     * the shared tracker says; {@code problem} when the tracker (Redis) cannot be asked, then only this replica is known.
     */
    public record Replicas(boolean here, List<String> holding, String problem) {
        /** Held by other replicas only: this one reaches its cluster through theirs. */
        public boolean elsewhereOnly() {
            return !here && !holding.isEmpty();
        }
    }

    /**
     * What its cluster holds, as last read through its tunnel ({@code read}, null while the first read is under way): its
     * Flux objects and Kastor's deployments, or why they could not be read: {@code problem} (then the lists hold what was
     * read before it). Null for an agent connected to no replica, whose cluster KAS cannot ask.
     */
    public record Cluster(String read, String problem, List<FluxObject> flux, List<Deployment> deployments) {
        /** Its first read has not ended yet. */
        static final Cluster READING = new Cluster(null, null, List.of(), List.of());

        public boolean reading() {
            return read == null;
        }
    }

    /**
     * One inventory {@code kastor kube apply --inventory} keeps (ConfigMap {@code kastor-inventory-NAME}): the objects it
     * lists ({@code objectCount} in all, the first of them in {@code objects}) and its recorded applies, newest first;
     * {@code problem} when its history cannot be read.
     */
    public record Deployment(String namespace, String inventory, List<String> objects, int objectCount, List<Apply> applies, String problem) {
        /** The current apply: the newest recorded, or null before Kastor kept history. */
        public Apply current() {
            return applies.isEmpty() ? null : applies.get(0);
        }
    }

    /**
     * One recorded apply: when, the artifact's reference ({@code source}, null for a directory, file or stdin) and digest
     * (or the applied objects' sha256), the revision, the job and who ran it, and the artifact's source project's URL
     * ({@code origin}) (each null when not recorded).
     */
    public record Apply(String time, String source, String digest, String revision, String jobUrl, String user, String origin) {
        /** The job's URL as a link, only for http(s): a ConfigMap is written in the cluster and must not put a script in the page. */
        public String jobLink() {
            return httpOnly(jobUrl);
        }

        /** The job's id, the last segment of its URL, for the link's text. */
        public String job() {
            if (jobUrl == null) return null;
            int slash = jobUrl.lastIndexOf('/');
            return slash < 0 || slash == jobUrl.length() - 1 ? jobUrl : "#" + jobUrl.substring(slash + 1);
        }

        /** The revision in a table: a commit to 12 digits ({@code main@sha1:0123456789ab}); the page's title says it whole. */
        public String shortRevision() {
            if (revision == null) return null;
            int sha = revision.lastIndexOf("sha1:");
            return sha >= 0 && revision.length() > sha + 5 + 12 ? revision.substring(0, sha + 5 + 12) : revision;
        }

        /** What was applied, in a table: the artifact, or "documents" and the start of their digest. */
        public String what() {
            if (source != null) return source;
            return "documents " + (digest == null ? "" : digest.substring(0, Math.min(digest.length(), 19)));
        }
    }

    /**
     * One Flux object: its Ready condition ("True", "False" or "Unknown", with reason and message), revision and since
     * when; for a source, where its content came from when it says so ({@code originUrl}, {@code originRevision}: an
     * OCIRepository's artifact annotations {@code org.opencontainers.image.source} and {@code .revision}, a
     * GitRepository's URL and revision), else null.
     */
    public record FluxObject(String kind, String namespace, String name, String ready, String reason, String message, String revision,
                             String since, String originUrl, String originRevision) {}

    /** One pod's last registration. */
    public record Pod(String podName, String podNamespace, String agentVersion, String kubernetesVersion, String lastRegistration) {
        /** namespace/name, or what an agent running outside Kubernetes reports. */
        public String where() {
            return podName == null || podName.isEmpty() ? "not in a pod" : podNamespace + "/" + podName;
        }
    }

    /** The configuration file it runs ({@code path} and {@code commit} null until one loaded) and why the newest was refused. */
    public record Config(String path, String commit, Problem error) {}

    /** {@code line} 0 when the error has none; {@code commit} null when Git itself could not be read. */
    public record Problem(String path, String commit, int line, String message) {}

    /** RFC 3339 to the second: how the page and its JSON say every time, as GitLab's API writes times. */
    static String seconds(java.time.Instant at) {
        return at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    }

    /**
     * {@code url} when it is http(s), else null: what the page may put in an {@code href}. A job's URL in a ConfigMap or
     * a status's link is written by whoever could write there, and must not put a script in the page.
     */
    private static String httpOnly(String url) {
        return url != null && (url.startsWith("https://") || url.startsWith("http://")) ? url : null;
    }

    /** Whether the row below the agent's has something to show: deployments, external jobs, or why the latter are missing. */
    public boolean hasDetails() {
        return (cluster != null && !cluster.deployments().isEmpty())
                || (externalJobs != null && (!externalJobs.jobs().isEmpty() || !externalJobs.problems().isEmpty()));
    }

    public String shortCommit() {
        return config == null || config.commit() == null ? null : config.commit().substring(0, Math.min(12, config.commit().length()));
    }

    Map<String, Object> json() {
        var m = new LinkedHashMap<String, Object>();
        m.put("id", id);
        m.put("name", name);
        m.put("config_project", configProject);
        if (connected != null) {
            m.put("connected", connected);
            m.put("since", since);
            m.put("tunnels", Map.of("open", openTunnels, "idle", idleTunnels));
        }
        if (replicas != null) {
            var r = new LinkedHashMap<String, Object>();
            r.put("here", replicas.here());
            r.put("holding", replicas.holding());
            if (replicas.problem() != null) r.put("problem", replicas.problem());
            m.put("replicas", r);
        }
        if (pods != null) {
            m.put("instances", pods.stream().map(p -> {
                var pm = new LinkedHashMap<String, Object>();
                pm.put("pod_name", p.podName());
                pm.put("pod_namespace", p.podNamespace());
                pm.put("agent_version", p.agentVersion());
                pm.put("kubernetes_version", p.kubernetesVersion());
                pm.put("last_registration", p.lastRegistration());
                return pm;
            }).toList());
        }
        if (cluster != null) {
            var c = new LinkedHashMap<String, Object>();
            c.put("read", cluster.read());
            if (cluster.reading()) c.put("reading", true);
            if (cluster.problem() != null) c.put("problem", cluster.problem());
            m.put("cluster", c);
            m.put("flux", cluster.flux().stream().map(o -> {
                var om = new LinkedHashMap<String, Object>();
                om.put("kind", o.kind());
                om.put("namespace", o.namespace());
                om.put("name", o.name());
                om.put("ready", o.ready());
                if (o.reason() != null) om.put("reason", o.reason());
                if (o.message() != null) om.put("message", o.message());
                if (o.revision() != null) om.put("revision", o.revision());
                if (o.since() != null) om.put("since", o.since());
                if (o.originUrl() != null) om.put("origin", Map.of("url", o.originUrl(), "revision", o.originRevision()));
                return om;
            }).toList());
            m.put("deployments", cluster.deployments().stream().map(AgentView::json).toList());
        }
        if (externalJobs != null) {
            var e = new LinkedHashMap<String, Object>();
            e.put("jobs", externalJobs.jobs().stream().map(j -> {
                var jm = new LinkedHashMap<String, Object>();
                jm.put("project", j.project());
                jm.put("sha", j.sha());
                jm.put("name", j.name());
                jm.put("status", j.status());
                if (j.description() != null) jm.put("description", j.description());
                if (j.targetUrl() != null) jm.put("target_url", j.targetUrl());
                if (j.time() != null) jm.put("time", j.time().toString());
                return jm;
            }).toList());
            if (!externalJobs.problems().isEmpty()) e.put("problems", externalJobs.problems());
            m.put("external_jobs", e);
        }
        if (config != null) {
            var c = new LinkedHashMap<String, Object>();
            if (config.commit() != null) {
                c.put("path", config.path());
                c.put("commit", config.commit());
            }
            if (config.error() != null) {
                var e = new LinkedHashMap<String, Object>();
                e.put("path", config.error().path());
                if (config.error().commit() != null) e.put("commit", config.error().commit());
                if (config.error().line() > 0) e.put("line", config.error().line());
                e.put("message", config.error().message());
                c.put("error", e);
            }
            m.put("config", c);
        }
        return m;
    }

    private static Map<String, Object> json(Deployment d) {
        var m = new LinkedHashMap<String, Object>();
        m.put("namespace", d.namespace());
        m.put("inventory", d.inventory());
        m.put("objects", d.objects());
        m.put("object_count", d.objectCount());
        if (d.problem() != null) m.put("problem", d.problem());
        m.put("applies", d.applies().stream().map(a -> {
            var am = new LinkedHashMap<String, Object>();
            am.put("time", a.time());
            if (a.source() != null) am.put("source", a.source());
            am.put("digest", a.digest());
            if (a.revision() != null) am.put("revision", a.revision());
            if (a.jobUrl() != null) am.put("job_url", a.jobUrl());
            if (a.user() != null) am.put("user", a.user());
            if (a.origin() != null) am.put("origin", a.origin());
            return am;
        }).toList());
        return m;
    }
}
