package dev.kastor.citemplates;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Every template and component file, and Kastor's own {@code .gitlab-ci.yml}, is valid CI configuration by GitLab's own
 * JSON schema (draft-07, the one GitLab's pipeline editor uses), each YAML document on its own: a component's
 * {@code spec:} header and its body are two documents.
 */
class GitLabCiSchemaTest {
    static final Schema GITLAB_CI = schema();
    static final YAMLMapper YAML = YAMLMapper.builder().build();

    static Schema schema() {
        try (InputStream in = GitLabCiSchemaTest.class.getResourceAsStream("/gitlab-ci-schema/gitlab-ci.json")) {
            return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7).getSchema(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<Path> ciFiles() throws IOException {
        var files = new ArrayList<Path>();
        files.add(Repo.ROOT.resolve(".gitlab-ci.yml"));
        try (var s = Files.walk(Repo.CI_TEMPLATES)) {
            s.filter(p -> p.toString().endsWith(".yml") && !p.startsWith(Repo.CI_TEMPLATES.resolve("src"))
                    && !p.startsWith(Repo.CI_TEMPLATES.resolve("target"))).sorted().forEach(files::add);
        }
        return files.stream();
    }

    /** What GitLab's schema finds wrong in each document of {@code yaml}, as {@code document N: message} lines. */
    static List<String> problems(String yaml) throws IOException {
        var out = new ArrayList<String>();
        int n = 0;
        try (var docs = YAML.readValues(YAML.createParser(yaml), JsonNode.class)) {
            while (docs.hasNextValue()) {
                JsonNode doc = docs.nextValue();
                n++;
                for (Error e : GITLAB_CI.validate(doc)) out.add("document " + n + ": " + e.getMessage());
            }
        }
        assertThat(n).as("YAML documents").isPositive();
        return out;
    }

    /** Fails with GitLab's schema's complaints unless every document of {@code yaml} is valid. */
    static void assertValid(String yaml) {
        try {
            assertThat(problems(yaml)).as("GitLab's CI schema on\n" + yaml).isEmpty();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @ParameterizedTest
    @MethodSource("ciFiles")
    void everyDocumentValidatesAgainstGitLabsSchema(Path file) throws IOException {
        assertThat(problems(Files.readString(file))).as(Repo.ROOT.relativize(file).toString()).isEmpty();
    }

    @Test
    void theTemplatesAndTheComponentAreAllChecked() throws IOException {
        assertThat(ciFiles().map(p -> Repo.ROOT.relativize(p).toString()))
                .contains(".gitlab-ci.yml", "ci-templates/kastor.gitlab-ci.yml", "ci-templates/components/kastor.yml");
    }

    @Test
    void theSchemaRefusesWhatGitLabRefuses() throws IOException {
        // The check can fail: a misspelt keyword, a spec input of an unknown type, a job without script.
        assertThat(problems("kastor-package:\n  stage: build\n  scirpt: [kastor artifact push deploy oci://r/m:t]\n")).isNotEmpty();
        assertThat(problems("spec:\n  inputs:\n    agent:\n      type: text\n---\njob:\n  script: [echo]\n")).isNotEmpty();
        assertThat(problems("job:\n  environment:\n    name: prod\n    kubernetes:\n      agent: 42\n  script: [echo]\n")).isNotEmpty();
    }
}
