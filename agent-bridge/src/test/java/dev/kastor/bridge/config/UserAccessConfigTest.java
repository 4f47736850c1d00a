package dev.kastor.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@code user_access} of an agent's config.yaml as GitLab documents it ("Grant users Kubernetes access"). */
class UserAccessConfigTest {
    @Test
    void userAccessWithUserImpersonationListsProjectsAndGroups() throws Exception {
        var c = AgentConfig.parse("""
                user_access:
                  access_as:
                    user: {}
                  projects:
                    - id: group-1/project-1
                  groups:
                    - id: group-2
                    - id: group-3/subgroup
                """);

        assertThat(c.userAccess()).isEqualTo(new AgentConfig.UserAccess(AgentConfig.UserAccessAs.USER, java.util.List.of("group-1/project-1"),
                java.util.List.of("group-2", "group-3/subgroup")));
        assertThat(c.summary()).containsEntry("user_access", "user");
    }

    @Test
    void fileWithoutUserAccessHasNone() throws Exception {
        assertThat(AgentConfig.parse("ci_access: {}").userAccess()).isNull();
    }

    @Test
    void userAccessWithoutAccessAsIsRefusedNotRunAsTheAgent() {
        assertThatThrownBy(() -> AgentConfig.parse("user_access:\n  projects:\n    - id: g/p\n"))
                .isInstanceOf(AgentConfig.InvalidConfig.class).hasMessageContaining("user_access.access_as is missing");
    }

    @Test
    void userAccessWithAKindOfCiAccessIsRefused() {
        for (String kind : new String[] {"ci_job: {}", "impersonate: {username: x}", "usr: {}"}) {
            assertThatThrownBy(() -> AgentConfig.parse("user_access:\n  access_as:\n    " + kind + "\n"))
                    .isInstanceOf(AgentConfig.InvalidConfig.class).hasMessageContaining("use agent or user");
        }
        assertThatThrownBy(() -> AgentConfig.parse("user_access:\n  access_as: {agent: {}, user: {}}\n"))
                .isInstanceOf(AgentConfig.InvalidConfig.class).hasMessageContaining("exactly one of agent, user");
    }

    @Test
    void moreThan500ProjectsAreRefused() {
        String projects = IntStream.rangeClosed(1, 501).mapToObj(i -> "    - id: g/p" + i).collect(Collectors.joining("\n"));
        assertThatThrownBy(() -> AgentConfig.parse("user_access:\n  access_as: {agent: {}}\n  projects:\n" + projects + "\n"))
                .isInstanceOf(AgentConfig.InvalidConfig.class).hasMessageContaining("user_access.projects lists 501 entries");
    }
}
