package dev.kastor.bridge.useraccess.server;

import dev.kastor.bridge.config.server.AgentConfigurations;
import dev.kastor.bridge.kubeapi.server.GitLabJobApi;
import dev.kastor.bridge.kubeapi.server.UserAuthorizer;
import dev.kastor.bridge.module.KasContext;
import dev.kastor.bridge.module.KasModule;
import java.net.URI;

/**
 * User access, GitLab's "grant users Kubernetes access": people's kubectl through the k8s proxy with
 * {@code pat:<agent id>:<personal access token>}, admitted by the agent's {@code user_access}. Provides the k8s proxy's
 * {@link UserAuthorizer}; needs the agents' configurations (the config module) and {@code gitlab.url}. KAS's own
 * {@code gitlab.api_token_file} token asks GitLab about memberships; without it, user access answers 503 saying so.
 */
public final class UserAccessModule implements KasModule {
    private static final String NAME = "user_access";

    private UserAccessModule() {}

    public static KasModule create(KasContext context) {
        var gitlab = context.config().gitlab();
        if (gitlab.url() != null) {
            var users = new GitLabUsers(URI.create(gitlab.url()), GitLabJobApi.newHttpClient(), gitlab.apiToken());
            context.parts().provide(UserAuthorizer.class,
                    new UserAccessAuthorizer(context.agents(), context.parts().require(AgentConfigurations.class, NAME), users), NAME);
        }
        return new UserAccessModule();
    }

    @Override
    public String name() {
        return NAME;
    }
}
