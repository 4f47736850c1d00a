package dev.kastor.bridge.useraccess.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kastor.bridge.kubeapi.server.GitLabJobApi;
import dev.kastor.bridge.kubeapi.server.ProxyFailure;
import dev.kastor.testing.GitLabApiStandIn;
import dev.kastor.testing.Programs;
import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What user access makes of GitLab's answers (the API stand-in) when GitLab or KAS's own token is missing. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GitLabUsersTest {
    @Test
    void unreachableGitLabIs503NamingGitLabNotAHang() {
        var users = new GitLabUsers(URI.create("http://127.0.0.1:" + Programs.freePort()), GitLabJobApi.newHttpClient(), "kas-token");

        assertThatThrownBy(() -> users.identify("a-personal-token")).isInstanceOfSatisfying(ProxyFailure.class, f -> {
            assertThat(f.status().code()).isEqualTo(503);
            assertThat(f.status().message()).contains("cannot ask GitLab", "/api/v4/personal_access_tokens/self").doesNotContain("a-personal-token");
        });
    }

    @Test
    void withoutKasTokenUserAccessSays503NamingApiTokenFile() throws Exception {
        try (var gitlab = GitLabApiStandIn.start()) {
            gitlab.addUser(new GitLabApiStandIn.User(42, "alice", "active"));
            gitlab.addPersonalAccessToken(new GitLabApiStandIn.PersonalAccessToken("alice-pat", 1, 42, List.of("k8s_proxy")));
            var users = new GitLabUsers(URI.create(gitlab.url()), GitLabJobApi.newHttpClient(), null);

            assertThatThrownBy(() -> users.identify("alice-pat")).isInstanceOfSatisfying(ProxyFailure.class, f -> {
                assertThat(f.status().code()).isEqualTo(503);
                assertThat(f.status().message()).contains("gitlab.api_token_file", "read_api");
            });
        }
    }

    @Test
    void blockedUserIsRefusedEvenWithAValidToken() throws Exception {
        try (var gitlab = GitLabApiStandIn.start()) {
            gitlab.addUser(new GitLabApiStandIn.User(900, "kas-bot", "active"));
            gitlab.addPersonalAccessToken(new GitLabApiStandIn.PersonalAccessToken("kas-token", 1, 900, List.of("read_api")));
            gitlab.addUser(new GitLabApiStandIn.User(43, "mallory", "blocked"));
            gitlab.addPersonalAccessToken(new GitLabApiStandIn.PersonalAccessToken("mallory-pat", 2, 43, List.of("k8s_proxy")));
            var users = new GitLabUsers(URI.create(gitlab.url()), GitLabJobApi.newHttpClient(), "kas-token");

            assertThatThrownBy(() -> users.identify("mallory-pat")).isInstanceOfSatisfying(ProxyFailure.class,
                    f -> assertThat(f.status().message()).contains("mallory is blocked"));
        }
    }
}
