package dev.kastor.steps.tls;

import dev.kastor.oci.Causes;
import dev.kastor.oci.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * A private CA file on top of the JDK's CAs. {@link #context} gives a TLS context for one HTTP client;
 * {@link #with} serves jib, whose HTTP client uses the JVM's default TLS context ({@code SSLContext.getDefault()})
 * and offers no way to pass another: for one build, the default becomes the combined context, and the previous
 * default is restored afterwards. Builds run one at a time in a kastor process.
 */
public final class CaTrust implements AutoCloseable {
    private final SSLContext previous;

    private CaTrust(Path caFile) {
        if (caFile == null) {
            previous = null;
            return;
        }
        try {
            SSLContext before = SSLContext.getDefault();
            SSLContext.setDefault(context(caFile, "--ca-file"));
            previous = before;
        } catch (GeneralSecurityException e) {
            throw new InvalidInputException("--ca-file " + caFile + " cannot be used: " + Causes.describe(e), e);
        }
    }

    /** A context trusting a chain when the JDK's CAs or the PEM certificates in {@code caFile} (named by {@code option} in errors) do. */
    public static SSLContext context(Path caFile, String option) {
        try {
            List<X509Certificate> extra = new ArrayList<>();
            try (InputStream in = Files.newInputStream(caFile)) {
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) extra.add((X509Certificate) c);
            }
            if (extra.isEmpty()) throw new InvalidInputException(option + " " + caFile + " holds no PEM certificate");
            var jdkFactory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jdkFactory.init((KeyStore) null);
            X509TrustManager jdk = first(jdkFactory.getTrustManagers());
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < extra.size(); i++) store.setCertificateEntry("ca-file-" + i, extra.get(i));
            var extraFactory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            extraFactory.init(store);
            X509TrustManager own = first(extraFactory.getTrustManagers());
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new Either(own, jdk)}, null);
            return ctx;
        } catch (IOException | GeneralSecurityException | ClassCastException e) {
            throw new InvalidInputException(option + " " + caFile + " cannot be read as PEM certificates: " + Causes.describe(e), e);
        }
    }

    public static CaTrust with(Path caFile) {
        return new CaTrust(caFile);
    }

    @Override
    public void close() {
        if (previous != null) SSLContext.setDefault(previous);
    }

    private static X509TrustManager first(TrustManager[] managers) {
        return (X509TrustManager) Arrays.stream(managers).filter(m -> m instanceof X509TrustManager).findFirst().orElseThrow();
    }

    /** Trusts a chain when the CA file or the JDK's CAs do. */
    private record Either(X509TrustManager own, X509TrustManager jdk) implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            jdk.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            try {
                own.checkServerTrusted(chain, authType);
            } catch (CertificateException notOurs) {
                jdk.checkServerTrusted(chain, authType);
            }
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            var all = new ArrayList<>(Arrays.asList(jdk.getAcceptedIssuers()));
            all.addAll(Arrays.asList(own.getAcceptedIssuers()));
            return all.toArray(X509Certificate[]::new);
        }
    }
}
