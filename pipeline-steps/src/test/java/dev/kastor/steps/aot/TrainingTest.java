package dev.kastor.steps.aot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.steps.cli.Context;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's training runs: each must run its whole workload, or fail so that no half-trained archive is kept. */
class TrainingTest {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int train(String... args) {
        var nowhere = new PrintStream(OutputStream.nullOutputStream());
        var ctx = new Context(Map.of(), nowhere, new PrintStream(err, true, StandardCharsets.UTF_8), InputStream.nullInputStream(), tmp, tmp);
        return Training.run(ctx, args);
    }

    @Test
    void artifactTrainingBuildsPushesAndPullsThroughItsOwnRegistry() {
        int exit = train("artifact");

        assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void otherGroupsTrainOnTheirHelp() {
        assertThat(train("kube")).as(err.toString(StandardCharsets.UTF_8)).isZero();
    }

    @Test
    void anUnknownGroupIsAUsageError() {
        int exit = train("no-such-group");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no command group 'no-such-group': pick one of artifact, image");
    }
}
