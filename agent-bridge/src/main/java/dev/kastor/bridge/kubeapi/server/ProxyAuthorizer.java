package dev.kastor.bridge.kubeapi.server;

import java.util.List;
import java.util.Optional;

/**
 * Who may use the k8s proxy, by the kind of bearer token: {@code ci:} tokens go to the CI jobs' {@link JobAuthorizer},
 * {@code pat:} tokens to user access ({@link UserAuthorizer}), which a KAS without it refuses.
 */
final class ProxyAuthorizer implements JobAuthorizer {
    private final JobAuthorizer jobs;
    private final UserAuthorizer users;

    /** {@code users} null when this KAS offers no user access. */
    ProxyAuthorizer(JobAuthorizer jobs, UserAuthorizer users) {
        this.jobs = jobs;
        this.users = users;
    }

    @Override
    public AuthorizedRequest authorize(String authorization) throws ProxyFailure, InterruptedException {
        if (!UserAuthorizer.PatBearer.present(authorization)) return jobs.authorize(authorization);
        var bearer = UserAuthorizer.PatBearer.parse(authorization);
        if (users == null) {
            throw new ProxyFailure(K8sStatus.unauthorized("this KAS offers no user access (pat: tokens): it runs without"
                    + " gitlab.url (gitlab.local_jobs_file), so nothing can say whose token it is; use a CI job's KUBECONFIG"));
        }
        return users.authorize(bearer.agentId(), bearer.token());
    }

    /** A person's request is always decided on a virtual thread: it may need GitLab. */
    @Override
    public Optional<AuthorizedRequest> authorizeFromCache(String authorization) throws ProxyFailure {
        return UserAuthorizer.PatBearer.present(authorization) ? Optional.empty() : jobs.authorizeFromCache(authorization);
    }

    @Override
    public List<AllowedAgent> allowedAgents(String jobToken) throws ProxyFailure, InterruptedException {
        return jobs.allowedAgents(jobToken);
    }
}
