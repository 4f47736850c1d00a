package dev.kastor.citemplates;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The include template and the component are two forms of one seed flow: the same ready jobs, each running the same
 * kastor verb and handing the same dotenv report on, so one cannot drift from the other unnoticed. And the README's
 * pipeline snippets name only jobs and variables that exist.
 */
class TemplateAndComponentAgreeTest {
    static final YAMLMapper YAML = YAMLMapper.builder().build();
    static final java.util.Set<String> GLOBAL_KEYWORDS = java.util.Set.of("default", "include", "stages", "variables", "workflow", "spec");
    static final Pattern KASTOR_VERB = Pattern.compile("\\bkastor ([a-z]+ [a-z]+)");

    static JsonNode lastDocument(Path file) throws IOException {
        JsonNode last = null;
        try (var docs = YAML.readValues(YAML.createParser(Files.readString(file)), JsonNode.class)) {
            while (docs.hasNextValue()) last = docs.nextValue();
        }
        return last;
    }

    /** Each ready (not hidden) job: the kastor verbs of its script (extends followed) and its dotenv report. */
    static Map<String, String> jobs(JsonNode config) {
        var out = new TreeMap<String, String>();
        config.properties().forEach(e -> {
            if (e.getKey().startsWith(".") || GLOBAL_KEYWORDS.contains(e.getKey()) || !e.getValue().isObject()) return;
            var verbs = new ArrayList<String>();
            String dotenv = "";
            for (JsonNode job : chain(config, e.getValue())) {
                for (JsonNode line : job.path("script")) {
                    Matcher m = KASTOR_VERB.matcher(line.asString(""));
                    while (m.find()) verbs.add(m.group(1));
                }
                if (dotenv.isEmpty()) dotenv = job.path("artifacts").path("reports").path("dotenv").asString("");
            }
            out.put(e.getKey(), verbs + " " + dotenv);
        });
        return out;
    }

    /** The job, then what it extends, nearest first. */
    static List<JsonNode> chain(JsonNode config, JsonNode job) {
        var out = new ArrayList<JsonNode>();
        for (JsonNode j = job; j != null; ) {
            out.add(j);
            JsonNode ext = j.path("extends");
            String parent = ext.isArray() ? ext.path(0).asString(null) : ext.asString(null);
            j = parent == null ? null : config.get(parent);
        }
        return out;
    }

    /** The version of the kastor command built here, as its {@code --version} says it (without -SNAPSHOT). */
    static String kastorVersion() throws IOException {
        var p = new java.util.Properties();
        try (var in = TemplateAndComponentAgreeTest.class.getResourceAsStream("/dev/kastor/steps/version.properties")) {
            p.load(in);
        }
        return p.getProperty("version").replace("-SNAPSHOT", "");
    }

    @Test
    void bothRunTheKastorImageTheReleasePipelinePublishesForThisVersion() throws IOException {
        // Kastor's .gitlab-ci.yml pushes $CI_REGISTRY_IMAGE/kastor:<version> for the tag v<version> of gitlab.com/kastor-dev/kastor.
        String image = "registry.gitlab.com/kastor-dev/kastor/kastor:" + kastorVersion();
        JsonNode spec;
        try (var docs = YAML.readValues(YAML.createParser(Files.readString(Repo.CI_TEMPLATES.resolve("components/kastor.yml"))), JsonNode.class)) {
            spec = docs.nextValue();
        }
        assertThat(lastDocument(Repo.CI_TEMPLATES.resolve("kastor.gitlab-ci.yml")).path("variables").path("KASTOR_JOB_IMAGE").asString()).isEqualTo(image);
        assertThat(spec.path("spec").path("inputs").path("image").path("default").asString()).isEqualTo(image);
        assertThat(Files.readString(Repo.ROOT.resolve(".gitlab-ci.yml"))).contains("--to \"$CI_REGISTRY_IMAGE\" --tag \"${CI_COMMIT_TAG#v}\"");
    }

    @Test
    void deployJobsShowOnTheEnvironmentPageWithTheirAgentAndFluxResource() throws IOException {
        for (Path file : List.of(Repo.CI_TEMPLATES.resolve("kastor.gitlab-ci.yml"), Repo.CI_TEMPLATES.resolve("components/kastor.yml"))) {
            JsonNode config = lastDocument(file);
            for (String job : List.of("kastor-deploy", "kastor-flux-sync")) {
                JsonNode environment = chain(config, config.get(job)).stream().map(j -> j.path("environment")).filter(JsonNode::isObject)
                        .findFirst().orElseThrow(() -> new AssertionError(file + ": " + job + " has no environment"));
                assertThat(environment.path("name").asString()).as("%s %s", file.getFileName(), job).isNotBlank();
                assertThat(environment.path("kubernetes").path("agent").asString()).as("%s %s", file.getFileName(), job).isNotBlank();
            }
            JsonNode flux = chain(config, config.get("kastor-flux-sync")).stream().map(j -> j.path("environment")).filter(JsonNode::isObject)
                    .findFirst().orElseThrow();
            assertThat(flux.path("kubernetes").path("flux_resource_path").asString()).startsWith("kustomize.toolkit.fluxcd.io/v1/namespaces/");
        }
    }

    @Test
    void templateAndComponentRunTheSameJobsWithTheSameVerbs() throws IOException {
        var template = jobs(lastDocument(Repo.CI_TEMPLATES.resolve("kastor.gitlab-ci.yml")));
        var component = jobs(lastDocument(Repo.CI_TEMPLATES.resolve("components/kastor.yml")));

        assertThat(template).containsOnlyKeys("kastor-build-image", "kastor-publish-image", "kastor-package", "kastor-deploy", "kastor-flux-sync");
        assertThat(component).isEqualTo(template);
        assertThat(template.get("kastor-package")).isEqualTo("[artifact push] kastor-artifact.env");
    }
}
