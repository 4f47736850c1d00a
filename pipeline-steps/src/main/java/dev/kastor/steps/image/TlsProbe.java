package dev.kastor.steps.image;

import dev.kastor.oci.KastorException;
import dev.kastor.oci.registry.RegistryException;
import dev.kastor.steps.tls.CaTrust;
import java.io.IOException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLException;

/**
 * One HTTPS request to a registry before jib runs. jib's HTTP client retries every I/O error with backoff, a TLS
 * failure included, for most of a minute and a log line per try; a plain-HTTP registry or a certificate no trusted CA
 * signed fails the same way each time, and so does a host name that does not resolve (a typo far more often than a
 * passing fault). Both stop the build at once, with the messages and advice of {@code kastor artifact push}; anything
 * else (no answer, a refused connection) is left to jib and its retries.
 */
final class TlsProbe {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private TlsProbe() {}

    /**
     * Throws a {@link RegistryException} when {@code host} does not resolve, or cannot be reached over TLS trusting the
     * JDK's CAs and {@code caFile}.
     */
    static void check(String host, Path caFile) {
        var builder = HttpClient.newBuilder().connectTimeout(TIMEOUT);
        if (caFile != null) builder.sslContext(CaTrust.context(caFile, "--ca-file"));
        try (HttpClient client = builder.build()) {
            // Any answer, 401 included, means TLS works: credentials are jib's business.
            client.send(HttpRequest.newBuilder(URI.create("https://" + host + "/v2/")).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof SSLException tls) throw RegistryException.tls(host, tls, caFile);
                if (c instanceof UnresolvedAddressException || c instanceof UnknownHostException) {
                    throw new RegistryException("cannot resolve registry host " + host + ": check the host in the image reference"
                            + " and the job's DNS", 0, e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KastorException("interrupted while reaching registry " + host);
        }
    }
}
