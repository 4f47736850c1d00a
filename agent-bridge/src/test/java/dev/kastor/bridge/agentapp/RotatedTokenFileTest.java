package dev.kastor.bridge.agentapp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotatedTokenFileTest {
    @TempDir
    Path dir;
    final AtomicLong now = new AtomicLong();

    @Test
    void aRotatedTokenIsUsedWithinAMinuteAndNotReadForEveryRequest() throws Exception {
        Path file = Files.writeString(dir.resolve("token"), "first\n");
        var token = new RotatedTokenFile(file, now::get);
        assertThat(token.get()).isEqualTo("first");

        Files.writeString(file, "second");
        now.addAndGet(RotatedTokenFile.REREAD.toNanos() - 1);
        assertThat(token.get()).as("within a minute the token read last is used").isEqualTo("first");
        now.addAndGet(1);
        assertThat(token.get()).isEqualTo("second");
    }

    @Test
    void aFileThatCannotBeReadAgainKeepsTheLastTokenButNoTokenAtAllIsAnError() throws Exception {
        Path file = Files.writeString(dir.resolve("token"), "first");
        var token = new RotatedTokenFile(file, now::get);
        assertThat(token.get()).isEqualTo("first");
        Files.delete(file);
        now.addAndGet(RotatedTokenFile.REREAD.toNanos());
        assertThat(token.get()).isEqualTo("first");

        var missing = new RotatedTokenFile(dir.resolve("absent"), now::get);
        assertThatThrownBy(missing::get).hasMessageContaining("cannot read the service-account token").hasMessageContaining("absent");
    }
}
