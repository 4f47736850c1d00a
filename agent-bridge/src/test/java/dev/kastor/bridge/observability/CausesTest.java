package dev.kastor.bridge.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class CausesTest {
    @Test
    void anExceptionWithoutMessageIsNamedByItsKindAndItsRootCause() {
        var e = new ConnectException();
        e.initCause(new ClosedChannelException());

        assertThat(Causes.describe(e)).isEqualTo("ConnectException (ClosedChannelException)");
        assertThat(Causes.describe(new ClosedChannelException())).isEqualTo("ClosedChannelException");
        assertThat(Causes.describe(null)).isEqualTo("unknown error");
    }

    @Test
    void theHttpClientsRefusedConnectionIsNeverNull() throws Exception {
        int port = dev.kastor.testing.Programs.freePort();
        IOException e = null;
        try {
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/version")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (IOException refused) {
            e = refused;
        }
        assertThat(e).as("nothing listens on " + port).isNotNull();
        assertThat(e.getMessage()).as("what made agents log \"error\":\"null\"").isNull();
        assertThat(Causes.describe(e)).startsWith("ConnectException").doesNotContain("null");
    }

    @Test
    void theFirstCauseMessageNotAlreadySaidIsAdded() {
        var bind = new IOException("Failed to bind to address /0.0.0.0:8150", new BindException("Address already in use"));
        assertThat(Causes.describe(bind)).isEqualTo("Failed to bind to address /0.0.0.0:8150: Address already in use");

        var said = new IllegalStateException("cannot read x: Address already in use", new BindException("Address already in use"));
        assertThat(Causes.describe(said)).isEqualTo("cannot read x: Address already in use");

        var noMessage = new ConnectException();
        noMessage.initCause(new IOException("Connection refused"));
        assertThat(Causes.describe(noMessage)).isEqualTo("ConnectException: Connection refused");
    }

    @Test
    void aWrapperOnlyRepeatingItsCauseIsSkipped() {
        var wrapped = new CompletionException(new ConnectException()); // message "java.net.ConnectException"
        assertThat(Causes.describe(wrapped)).isEqualTo("ConnectException");
        assertThat(Causes.describe(new RuntimeException(new IOException("disk full")))).isEqualTo("disk full");
    }

    @Test
    void aFileErrorGivesItsKindAndReasonTheCallerNamesTheFile() {
        assertThat(Causes.describe(new NoSuchFileException("/etc/kas/kas.yaml"))).isEqualTo("NoSuchFileException");
        assertThat(Causes.describe(new AccessDeniedException("/etc/kas/key", null, "Permission denied"))).isEqualTo("AccessDeniedException: Permission denied");
        var unchecked = new UncheckedIOException("cannot read the agent token file t: NoSuchFileException", new NoSuchFileException("t"));
        assertThat(Causes.describe(unchecked)).isEqualTo("cannot read the agent token file t: NoSuchFileException");
    }

    @Test
    void aCycleInTheCauseChainEnds() {
        var a = new IllegalStateException();
        var b = new IllegalArgumentException();
        a.initCause(b);
        b.initCause(a);
        assertThat(Causes.describe(a)).isEqualTo("IllegalStateException (IllegalArgumentException)");
    }
}
