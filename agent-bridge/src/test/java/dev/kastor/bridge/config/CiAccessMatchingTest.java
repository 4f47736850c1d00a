package dev.kastor.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which {@code ci_access} entry lets a job's project use the agent (standalone mode), as GitLab matches full paths. */
class CiAccessMatchingTest {
    static AgentConfig config() throws Exception {
        return AgentConfig.parse("""
                ci_access:
                  projects:
                    - id: Platform/Deploy-Tools
                      default_namespace: tools
                  groups:
                    - id: apps
                      default_namespace: apps
                    - id: apps/payments
                      default_namespace: payments
                """);
    }

    @Test
    void aProjectIsFoundWhateverTheCaseOfItsPath() throws Exception {
        assertThat(config().access("platform/deploy-tools")).hasValueSatisfying(e -> assertThat(e.id()).isEqualTo("Platform/Deploy-Tools"));
    }

    @Test
    void theNearestListedGroupWins() throws Exception {
        assertThat(config().access("apps/payments/api")).hasValueSatisfying(e -> assertThat(e.id()).isEqualTo("apps/payments"));
        assertThat(config().access("Apps/web")).hasValueSatisfying(e -> assertThat(e.id()).isEqualTo("apps"));
    }

    @Test
    void aGroupIsNotAPrefixOfAnotherGroupsName() throws Exception {
        assertThat(config().access("apps-legacy/web")).isEmpty();
        assertThat(config().access("platform/deploy-tools-fork")).isEmpty();
    }
}
