package dev.kastor.steps.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What {@code kastor kube apply} makes of hostile or unusual input before anything is sent: generated inputs that are
 * too large, too deep or not UTF-8 are refused with file, document and reason; merge keys are merged as kubectl does.
 * The limits are the reader's constructor arguments, so most tests use small ones.
 */
class ManifestReaderTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ManifestLimits SMALL = new ManifestLimits(64 * 1024, 4 * 1024, 50);
    private static final String CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\ndata:\n  k: v\n";

    @TempDir
    Path tmp;

    private static ManifestReader readStdin(ManifestLimits limits, byte[] bytes) {
        var reader = new ManifestReader(limits);
        reader.readStream(new ByteArrayInputStream(bytes), "stdin");
        return reader;
    }

    private ManifestReader readFile(ManifestLimits limits, String name, byte[] bytes) throws Exception {
        Path f = Files.write(tmp.resolve(name), bytes);
        var reader = new ManifestReader(limits);
        reader.readPath(f, name);
        return reader;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // --- sizes (checked before parsing) ---

    @Test
    void aDocumentOverThePerDocumentLimitIsNamedWithFileIndexLineAndLimitAndTheOthersAreNotParsed() throws Exception {
        String big = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  k: " + "x".repeat(5000) + "\n";
        var reader = readFile(SMALL, "big.yaml", utf8(CONFIG_MAP + "---\n" + big + "---\n" + CONFIG_MAP));

        assertThat(reader.manifests()).isEmpty();
        assertThat(reader.problems()).singleElement().asString()
                .startsWith("big.yaml document 2 (line 7, byte offset " + CONFIG_MAP.length() + "): ")
                .contains("over the limit of 4 KiB per document");
    }

    @Test
    void aFileOverThePerInputLimitIsRefusedWithoutReadingIt() throws Exception {
        var reader = readFile(SMALL, "huge.yaml", new byte[70 * 1024]);

        assertThat(reader.problems()).singleElement().asString()
                .startsWith("huge.yaml: 71680 bytes, over the limit of 64 KiB per input");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void endlessStdinIsCutAtTheLimit() {
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 'a';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) 'a');
                return len;
            }
        };
        var reader = new ManifestReader(SMALL);
        reader.readStream(endless, "stdin");

        assertThat(reader.problems()).singleElement().asString().startsWith("stdin: more than 64 KiB, over the limit");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aSixteenMibSingleLineScalarIsRefusedAtOnceWithTheDefaultLimits() {
        byte[] input = utf8("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: " + "a".repeat(16 * 1024 * 1024) + "\n");

        var reader = readStdin(ManifestLimits.DEFAULT, input);

        assertThat(reader.problems()).singleElement().asString()
                .startsWith("stdin document 1 (line 1, byte offset 0): ")
                .contains("over the limit of 8 MiB per document");
    }

    @Test
    @Timeout(value = 8, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aLongSingleLineScalarUnderTheLimitParsesInLinearTime() {
        // snakeyaml-engine's default 1 KiB read buffer made a 7 MiB line cost minutes (quadratic copying).
        String value = "a".repeat(7 * 1024 * 1024);
        var reader = readStdin(ManifestLimits.DEFAULT, utf8("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: " + value + "\n"));

        assertThat(reader.problems()).isEmpty();
        assertThat(reader.manifests()).singleElement().satisfies(m -> assertThat(m.object().getAdditionalProperties().get("data"))
                .isEqualTo(java.util.Map.of("k", value)));
    }

    // --- nesting ---

    @Test
    void twentyThousandLevelsOfNestingAreAProblemNotAStackOverflow() throws Exception {
        String flow = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: " + "[".repeat(20_000) + "]".repeat(20_000) + "\n";
        String block = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n" + "- ".repeat(20_000) + "x\n";
        var limits = new ManifestLimits(1024 * 1024, 1024 * 1024, 50);

        for (String deep : java.util.List.of(flow, block)) {
            var reader = readFile(limits, "deep.yaml", utf8(CONFIG_MAP + "---\n" + deep));

            assertThat(reader.problems()).singleElement().asString()
                    .startsWith("deep.yaml document 2: invalid YAML: nesting deeper than 50 levels")
                    .containsPattern("at line 1[23], column \\d+");
        }
    }

    @Test
    void nestingUpToTheDefaultLimitIsAccepted() {
        var doc = new StringBuilder("apiVersion: example.com/v1\nkind: Deep\nmetadata:\n  name: d\nspec: ");
        int depth = ManifestLimits.DEFAULT.maxNestingDepth() - 1; // the document's own map is the first level
        doc.append("{a: ".repeat(depth - 1)).append("{}").append("}".repeat(depth - 1)).append("\n");

        var reader = readStdin(ManifestLimits.DEFAULT, utf8(doc.toString()));

        assertThat(reader.problems()).isEmpty();
        assertThat(reader.manifests()).hasSize(1);
    }

    // --- encoding ---

    @Test
    void aFileThatIsNotUtf8IsNamedWithTheByteOffsetOfTheFirstBadByte() throws Exception {
        byte[] latin1 = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);

        var reader = readFile(SMALL, "latin1.yaml", latin1);

        assertThat(reader.problems()).singleElement().asString()
                .isEqualTo("latin1.yaml: not UTF-8: byte 0xE9 at byte offset 52 (line 4) is not valid UTF-8;"
                        + " Kubernetes manifests are UTF-8: convert the file (e.g. iconv -f LATIN1 -t UTF-8)");
    }

    @Test
    void stdinThatIsNotUtf8IsRefusedNotReplaced() {
        byte[] bytes = new byte[] {'a', 'p', 'i', 'V', 'e', 'r', 's', 'i', 'o', 'n', ':', ' ', 'v', '1', '\n', 'k', 'i', 'n', 'd', ':', ' ',
                (byte) 0xC3, (byte) 0x28, '\n'};

        var reader = readStdin(SMALL, bytes);

        assertThat(reader.manifests()).isEmpty();
        assertThat(reader.problems()).singleElement().asString()
                .startsWith("stdin: not UTF-8: byte 0xC3 at byte offset 21 (line 2)");
    }

    // --- merge keys ---

    @Test
    void mergeKeysAreMergedAsKubectlMergesThem() throws Exception {
        // Merge keys first in their mapping, as they are usually written: here kubectl and the YAML merge-key spec agree.
        String yaml = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: web
                  labels: &labels
                    app: web
                    tier: front
                  annotations:
                    <<: *labels
                    tier: back
                    "<<": a literal key, quoted
                spec:
                  selector:
                    matchLabels: *labels
                  template:
                    metadata:
                      labels:
                        <<: [*labels, {tier: ignored, track: stable}]
                    spec:
                      containers:
                      - &container
                        name: web
                        image: nginx:1.27
                        env: [{name: A, value: "1"}]
                      - <<: *container
                        name: sidecar
                """;
        Path file = Files.writeString(tmp.resolve("merge.yaml"), yaml);
        var reader = new ManifestReader(ManifestLimits.DEFAULT);
        reader.readPath(file, "merge.yaml");

        assertThat(reader.problems()).isEmpty();
        JsonNode ours = JSON.valueToTree(reader.manifests().get(0).object());
        assertThat(ours).isEqualTo(kubectlsView(file));
        assertThat(ours.path("spec").path("template").path("metadata").path("labels").toString())
                .isEqualTo("{\"app\":\"web\",\"tier\":\"front\",\"track\":\"stable\"}");
        assertThat(ours.path("metadata").path("annotations").path("<<").asString()).isEqualTo("a literal key, quoted");
    }

    @Test
    void explicitKeysWinOverMergedOnesWhereverTheyStand() {
        // The YAML merge-key spec: keys of the mapping itself always win. kubectl (go-yaml v2) lets a merge written
        // after an explicit key overwrite it; Kastor follows the spec (and go-yaml v3, which fixed this).
        String yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\ndata:\n  a: explicit\n  <<: {a: merged, b: merged}\n";

        var reader = readStdin(ManifestLimits.DEFAULT, utf8(yaml));

        assertThat(reader.manifests().get(0).object().getAdditionalProperties().get("data"))
                .isEqualTo(java.util.Map.of("a", "explicit", "b", "merged"));
    }

    @Test
    void aMergeOfSomethingElseThanAMappingIsAProblem() {
        String yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\ndata:\n  <<: just a string\n";

        var reader = readStdin(ManifestLimits.DEFAULT, utf8(yaml));

        assertThat(reader.problems()).singleElement().asString().startsWith("stdin document 1: invalid YAML: ");
    }

    /**
     * What kubectl sends for a file: {@code kubectl annotate --local -o json} decodes it exactly as {@code kubectl apply}
     * does (sigs.k8s.io/yaml) and needs no API server, unlike {@code kubectl create --dry-run=client}, which asks for
     * discovery first. Removing an annotation that is not there changes nothing.
     */
    private static JsonNode kubectlsView(Path file) throws Exception {
        var p = new ProcessBuilder("kubectl", "annotate", "--local", "-o", "json", "-f", file.toString(), "kastor.dev/none-")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return JSON.readTree(out);
    }
}
