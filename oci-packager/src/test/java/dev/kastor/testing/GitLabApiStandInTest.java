package dev.kastor.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The stand-in must answer as GitLab documents it, or tests built on it prove nothing. */
class GitLabApiStandInTest {
    private static GitLabApiStandIn gitlab;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        gitlab = GitLabApiStandIn.start();
        gitlab.addJob(new GitLabApiStandIn.Job("job-token-1", 42, 7, "group/app", 99, List.of(3L), 5, "alice", "production", "production",
                List.of(new GitLabApiStandIn.AllowedAgent(11, 8, "apps", Map.of("ci_job", Map.of())))));
        gitlab.addApiToken("api-token", "7");
    }

    @AfterAll
    static void stop() {
        gitlab.close();
    }

    @Test
    void jobTokenIdentifiesTheJobAndItsAllowedAgents() throws Exception {
        var job = get("/job", "job-token-1");
        var agents = get("/job/allowed_agents", "job-token-1");

        assertThat(job.statusCode()).isEqualTo(200);
        assertThat(job.body()).contains("\"web_url\":\"" + gitlab.url() + "/group/app/-/jobs/42\"", "\"project_id\":7");
        assertThat(agents.body()).contains("\"allowed_agents\":[{", "\"id\":11", "\"config_project\":{\"id\":8}", "\"ci_job\":{}",
                "\"groups\":[{\"id\":3}]", "\"environment\":{");
    }

    @Test
    void unknownJobTokenGets401() throws Exception {
        assertThat(get("/job/allowed_agents", "nope").statusCode()).isEqualTo(401);
    }

    @Test
    void jobTokenCannotPostStatusesButApiTokenCanOnceForEachState() throws Exception {
        String sha = "0123456789abcdef0123456789abcdef01234567";
        assertThat(post("/projects/7/statuses/" + sha, "JOB-TOKEN", "job-token-1", "state=pending&name=flux%2Fx").statusCode()).isEqualTo(401);

        assertThat(post("/projects/7/statuses/" + sha, "PRIVATE-TOKEN", "api-token", "state=pending&name=flux%2Fx&ref=main").statusCode()).isEqualTo(201);
        assertThat(post("/projects/7/statuses/" + sha, "PRIVATE-TOKEN", "api-token", "state=pending&name=flux%2Fx&ref=main").statusCode()).isEqualTo(400);
        assertThat(post("/projects/7/statuses/" + sha, "PRIVATE-TOKEN", "api-token", "state=success&name=flux%2Fx&ref=main").statusCode()).isEqualTo(201);

        assertThat(gitlab.statuses()).extracting(GitLabApiStandIn.CommitStatus::state).containsExactly("pending", "success");
        assertThat(gitlab.statuses().get(0).name()).isEqualTo("flux/x");
    }

    @Test
    void aCommitsStatusesListTheLatestOfEachNameAsExternalAndNeedAReadToken() throws Exception {
        String sha = "89abcdef0123456789abcdef0123456789abcdef";
        post("/projects/7/statuses/" + sha, "PRIVATE-TOKEN", "api-token", "state=running&name=deploy&ref=main&description=rolling");
        post("/projects/7/statuses/" + sha, "PRIVATE-TOKEN", "api-token", "state=success&name=deploy&ref=main&description=done");
        post("/projects/7/statuses/" + sha, "PRIVATE-TOKEN", "api-token", "state=failed&name=flux%2Fk&ref=main");
        String list = "/projects/7/repository/commits/" + sha + "/statuses";

        var latest = http.send(HttpRequest.newBuilder(URI.create(gitlab.apiV4Url() + list + "?stage=external")).header("PRIVATE-TOKEN", "api-token").build(),
                HttpResponse.BodyHandlers.ofString());
        var all = http.send(HttpRequest.newBuilder(URI.create(gitlab.apiV4Url() + list + "?all=true")).header("PRIVATE-TOKEN", "api-token").build(),
                HttpResponse.BodyHandlers.ofString());
        var newestFirst = http.send(HttpRequest.newBuilder(URI.create(gitlab.apiV4Url() + list + "?sort=desc&per_page=1")).header("PRIVATE-TOKEN", "api-token").build(),
                HttpResponse.BodyHandlers.ofString());
        var otherStage = http.send(HttpRequest.newBuilder(URI.create(gitlab.apiV4Url() + list + "?stage=test")).header("PRIVATE-TOKEN", "api-token").build(),
                HttpResponse.BodyHandlers.ofString());
        var anonymous = http.send(HttpRequest.newBuilder(URI.create(gitlab.apiV4Url() + list)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(latest.statusCode()).isEqualTo(200);
        var statuses = tools.jackson.databind.json.JsonMapper.builder().build().readTree(latest.body());
        assertThat(statuses.valueStream().map(s -> s.path("name").asString() + " " + s.path("status").asString() + " " + s.path("stage").asString()).toList())
                .containsExactly("deploy success external", "flux/k failed external");
        assertThat(statuses.get(0).path("description").asString()).isEqualTo("done");
        assertThat(statuses.get(0).path("finished_at").asString()).isNotBlank();
        assertThat(all.body()).contains("rolling");
        assertThat(newestFirst.body()).contains("flux/k").doesNotContain("deploy");
        assertThat(otherStage.body()).isEqualTo("[]");
        assertThat(anonymous.statusCode()).isEqualTo(401);
    }

    private HttpResponse<String> get(String path, String jobToken) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gitlab.apiV4Url() + path)).header("JOB-TOKEN", jobToken).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String header, String token, String form) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gitlab.apiV4Url() + path)).header(header, token)
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
