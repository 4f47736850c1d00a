package dev.kastor.bridge.kascfg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code status_page}: read as documented, relative to the config file, and every mistake refused at start naming the key. */
class StatusPageSectionTest {
    static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

    @TempDir
    Path dir;

    private KasConfig load(String section) throws Exception {
        Path f = dir.resolve("kas.yaml");
        Files.writeString(f, "gitlab: {url: https://gitlab.example.com}\napi_secret_key: " + KEY + "\n" + section);
        return KasConfig.load(f, Map.of());
    }

    @Test
    void withoutTheSectionThereIsNoStatusPage() throws Exception {
        assertThat(load("").statusPage()).isNull();
    }

    @Test
    void emptySectionTurnsThePageOnWithEightHourSessionsAndNoOperator() throws Exception {
        var page = load("status_page: {}\n").statusPage();

        assertThat(page.operatorToken()).isNull();
        assertThat(page.sessionLifetime()).isEqualTo(Duration.ofHours(8));
    }

    @Test
    void operatorTokenFileIsReadRelativeToTheConfig() throws Exception {
        Files.writeString(dir.resolve("operator-token"), "x".repeat(44) + "\n");

        var page = load("status_page:\n  operator_token_file: operator-token\n  session_ttl: 30m\n").statusPage();

        assertThat(page.operatorToken()).isEqualTo("x".repeat(44));
        assertThat(page.sessionLifetime()).isEqualTo(Duration.ofMinutes(30));
    }

    @Test
    void shortOperatorTokenIsRefusedWithHowToMakeOne() throws Exception {
        Files.writeString(dir.resolve("operator-token"), "letmein\n");

        assertThatThrownBy(() -> load("status_page: {operator_token_file: operator-token}\n"))
                .hasMessageContaining("status_page.operator_token_file").hasMessageContaining("fewer than 32")
                .hasMessageContaining("head -c 32 /dev/urandom").hasMessageNotContaining("letmein");
    }

    @Test
    void missingOperatorTokenFileIsRefusedNamingIt() {
        assertThatThrownBy(() -> load("status_page: {operator_token_file: nowhere}\n"))
                .hasMessageContaining("status_page.operator_token_file").hasMessageContaining("nowhere");
    }

    @Test
    void sessionLifetimeOutsideOneMinuteToSevenDaysIsRefused() {
        assertThatThrownBy(() -> load("status_page: {session_ttl: 10s}\n")).hasMessageContaining("status_page.session_ttl").hasMessageContaining("10s");
        assertThatThrownBy(() -> load("status_page: {session_ttl: 30d}\n")).hasMessageContaining("status_page.session_ttl");
        assertThatThrownBy(() -> load("status_page: {session_ttl: soon}\n")).hasMessageContaining("status_page.session_ttl");
    }
}
