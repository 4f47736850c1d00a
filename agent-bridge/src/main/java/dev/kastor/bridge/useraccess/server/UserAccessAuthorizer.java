package dev.kastor.bridge.useraccess.server;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.config.AgentConfig;
import dev.kastor.bridge.config.ConfigDefaults;
import dev.kastor.bridge.config.server.AgentConfigurations;
import dev.kastor.bridge.kubeapi.server.AccessAs;
import dev.kastor.bridge.kubeapi.server.AnswerCache;
import dev.kastor.bridge.kubeapi.server.AuthorizedRequest;
import dev.kastor.bridge.kubeapi.server.JobAuthorizer;
import dev.kastor.bridge.kubeapi.server.K8sStatus;
import dev.kastor.bridge.kubeapi.server.ProxyFailure;
import dev.kastor.bridge.kubeapi.server.UserAuthorizer;
import dev.kastor.bridge.tunnel.rpc.Impersonation;
import java.util.ArrayList;
import java.util.List;

/**
 * GitLab's user access, decided by KAS from the agent's own {@code user_access} (read from Git): the person behind a
 * personal access token ({@link GitLabUsers}) may use the agent when they have at least the Developer role in one of
 * the listed projects or groups (a group's role may come from an ancestor group). With {@code access_as: agent} the
 * first such entry is enough; with {@code user} every listed entry that admits them names a role in the impersonation,
 * as GitLab's KAS sends it. Each decision is cached per agent, person and config commit.
 */
final class UserAccessAuthorizer implements UserAuthorizer {
    /** One person admitted to one agent: who they run as there. */
    private record Decision(Impersonation impersonation) {}

    private final AgentStore agents;
    private final AgentConfigurations configs;
    private final GitLabUsers gitlab;
    private final AnswerCache<Decision> decisions = new AnswerCache<>(20_000);

    UserAccessAuthorizer(AgentStore agents, AgentConfigurations configs, GitLabUsers gitlab) {
        this.agents = agents;
        this.configs = configs;
        this.gitlab = gitlab;
    }

    @Override
    public AuthorizedRequest authorize(long agentId, String personalAccessToken) throws ProxyFailure, InterruptedException {
        GitLabUsers.Identity who = gitlab.identify(personalAccessToken);
        AgentStore.Agent agent = agents.byId(agentId).filter(AgentStore.Agent::active).orElseThrow(() -> new ProxyFailure(
                K8sStatus.forbidden("agent " + agentId + " is not registered on this KAS (see 'kastor-kas agent list')")));
        var current = configs.current(agentId).orElseThrow(() -> new ProxyFailure(K8sStatus.unavailable("the configuration of agent "
                + agentId + " (" + where(agent) + ") is not loaded yet: KAS reads it from Git every " + configs.pollPeriod().toSeconds()
                + " s; KAS's log says why when it cannot")));
        return authorize(agent, current, who);
    }

    /** {@code who} on {@code agent}, whose configuration is {@code current}: refused, or whom they run as there. */
    private AuthorizedRequest authorize(AgentStore.Agent agent, AgentConfigurations.Current current, GitLabUsers.Identity who)
            throws ProxyFailure, InterruptedException {
        AgentConfig.UserAccess access = current.config().userAccess();
        if (access == null) {
            throw new ProxyFailure(K8sStatus.forbidden("agent " + agent.id() + " has no user_access in " + where(agent)
                    + ": add user_access with access_as and the projects or groups whose members may use it"));
        }
        String key = agent.id() + "/" + who.userId() + "/" + current.commit();
        Decision d = decisions.get(key, () -> decide(agent, access, who));
        return AuthorizedRequest.ofUser(agent.id(), who.userId(), d.impersonation());
    }

    private static String where(AgentStore.Agent agent) {
        return ConfigDefaults.path(agent.name()) + " of " + agent.configProject();
    }

    private Decision decide(AgentStore.Agent agent, AgentConfig.UserAccess access, GitLabUsers.Identity who)
            throws ProxyFailure, InterruptedException {
        boolean all = access.accessAs() == AgentConfig.UserAccessAs.USER;
        var projects = admitting("projects", access.projects(), who, all);
        var groups = all || projects.isEmpty() ? admitting("groups", access.groups(), who, all) : List.<AccessAs.Membership>of();
        if (projects.isEmpty() && groups.isEmpty()) {
            throw new ProxyFailure(K8sStatus.forbidden("GitLab user " + who.username() + " has the Developer role (or higher) in none of the "
                    + access.projects().size() + " projects and " + access.groups().size() + " groups under user_access of agent " + agent.id()
                    + " (" + where(agent) + "): ask for the Developer role in one of them, or have your project or group listed there"));
        }
        if (!all) return new Decision(Impersonation.getDefaultInstance());
        long configProjectId = gitlab.id("projects", agent.configProject());
        return new Decision(AccessAs.user(agent.id(), configProjectId, who.username(), projects, groups));
    }

    /** The listed entries of {@code kind} where the person is at least a Developer; with {@code all} false, the first one. */
    private List<AccessAs.Membership> admitting(String kind, List<String> paths, GitLabUsers.Identity who, boolean all)
            throws ProxyFailure, InterruptedException {
        var out = new ArrayList<AccessAs.Membership>();
        for (String path : paths) {
            int level = gitlab.accessLevel(kind, path, who.userId());
            if (level < GitLabUsers.DEVELOPER) continue;
            out.add(new AccessAs.Membership(all ? gitlab.id(kind, path) : 0, GitLabUsers.roles(level)));
            if (!all) break;
        }
        return out;
    }

    @Override
    public Person person(String personalAccessToken) throws ProxyFailure, InterruptedException {
        GitLabUsers.Identity who = gitlab.identify(personalAccessToken);
        return new Person(who.userId(), who.username());
    }

    @Override
    public boolean mayReadProject(long userId, String fullPath) throws ProxyFailure, InterruptedException {
        return gitlab.accessLevel("projects", fullPath, userId) >= GitLabUsers.REPORTER;
    }

    @Override
    public List<JobAuthorizer.AllowedAgent> allowedAgents(String personalAccessToken) throws ProxyFailure, InterruptedException {
        GitLabUsers.Identity who = gitlab.identify(personalAccessToken); // a refused token is refused before any agent is looked at
        var out = new ArrayList<JobAuthorizer.AllowedAgent>();
        for (AgentStore.Agent a : agents.list()) {
            if (!a.active()) continue;
            var current = configs.current(a.id());
            if (current.isEmpty() || current.get().config().userAccess() == null) continue;
            try {
                authorize(a, current.get(), who);
                out.add(new JobAuthorizer.AllowedAgent(a.id(), current.get().config().defaultNamespace()));
            } catch (ProxyFailure f) {
                if (f.status().code() != 403) throw f; // not admitted to this one; GitLab failing is everyone's failure
            }
        }
        return out;
    }
}
