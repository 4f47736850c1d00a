package dev.kastor.steps.flux;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The project's HTTP and SSH clone URLs, in every form GitLab and Flux users write them, name the same project. */
class CloneUrlsTest {
    @ParameterizedTest
    @ValueSource(strings = {
            "https://gitlab.example.com/group/app", // CI_PROJECT_URL
            "https://gitlab-ci-token:s3cr3t@gitlab.example.com/group/app.git", // CI_REPOSITORY_URL
            "http://gitlab.example.com:8080/group/app/",
            "ssh://git@gitlab.example.com/group/app.git",
            "ssh://git@gitlab.example.com:2222/group/app.git",
            "git@gitlab.example.com:group/app.git", // scp-like, as GitLab's "Clone with SSH" shows it
            "git@GitLab.Example.com:Group/App",
            "  https://GITLAB.example.com/Group/App.git  "})
    void everyCloneUrlOfTheProjectHasTheSameKey(String url) {
        assertThat(CloneUrls.key(url)).isEqualTo("gitlab.example.com/group/app");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://gitlab.example.com/group/app-ops", "git@gitlab.example.com:group/sub/app.git",
            "https://other.example.com/group/app", "https://gitlab.example.com/group"})
    void anotherProjectHasAnotherKey(String url) {
        assertThat(CloneUrls.key(url)).isNotEqualTo("gitlab.example.com/group/app");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://gitlab-ci-token:s3cr3t@gitlab.example.com/group/app.git", "https://user:s3cr3t@gitlab.example.com:443/group/app"})
    void theKeyHoldsNoCredential(String url) {
        assertThat(CloneUrls.key(url)).doesNotContain("s3cr3t").doesNotContain("gitlab-ci-token").doesNotContain("user");
    }
}
