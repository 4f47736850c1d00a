package dev.kastor.oci;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import org.junit.jupiter.api.Test;

class CausesTest {
    @Test
    void aRefusedConnectionOfTheJdkHttpClientIsNamedNotNull() throws Exception {
        int closed;
        try (var s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        IOException thrown = null;
        try {
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + closed + "/")).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            thrown = e;
        }

        assertThat(thrown).isInstanceOf(ConnectException.class);
        assertThat(Causes.describe(thrown)).isEqualTo("connection refused (ConnectException)");
    }

    @Test
    void anUnknownHostIsNamedByItsKindEvenBehindAConnectException() {
        var e = new ConnectException();
        e.initCause(new UnresolvedAddressException());
        assertThat(Causes.describe(e)).isEqualTo("host name not found (UnresolvedAddressException)");
    }

    @Test
    void aMessageIsKeptAsItIs() {
        assertThat(Causes.describe(new IOException("disk full"))).isEqualTo("disk full");
        assertThat(Causes.describe(new EOFException())).isEqualTo("the data ended early (EOFException)");
    }

    @Test
    void withoutAMessageAnywhereTheKindIsNamedAndACausesMessageFollowsIt() {
        assertThat(Causes.describe(new IllegalStateException())).isEqualTo("IllegalStateException");
        assertThat(Causes.describe(new RuntimeException(null, new IllegalArgumentException("bad port")))).isEqualTo("RuntimeException: bad port");
        assertThat(Causes.describe(null)).doesNotContain("null");
    }
}
