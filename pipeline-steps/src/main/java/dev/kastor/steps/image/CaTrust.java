package dev.kastor.steps.image;

import dev.kastor.oci.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Map;

/**
 * {@code --ca-file} for jib: its HTTP client trusts the JVM's default trust store only, read from the
 * {@code javax.net.ssl.trustStore} properties whenever a TLS context is made. For one build, those properties point
 * at a temporary store holding the JDK's CAs plus the given ones, and are restored afterwards.
 */
final class CaTrust implements AutoCloseable {
    private static final String[] PROPS = {"javax.net.ssl.trustStore", "javax.net.ssl.trustStorePassword", "javax.net.ssl.trustStoreType"};
    private final Map<String, String> previous = new java.util.HashMap<>();
    private final boolean set;

    private CaTrust(Path caFile, Path work) {
        this.set = caFile != null;
        if (!set) return;
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            Path cacerts = Path.of(System.getProperty("java.home"), "lib/security/cacerts");
            if (Files.isRegularFile(cacerts)) {
                KeyStore jdk = KeyStore.getInstance(KeyStore.getDefaultType());
                try (InputStream in = Files.newInputStream(cacerts)) {
                    jdk.load(in, null);
                }
                for (String alias : java.util.Collections.list(jdk.aliases())) {
                    if (jdk.isCertificateEntry(alias)) store.setCertificateEntry("jdk-" + alias, jdk.getCertificate(alias));
                }
            }
            int i = 0;
            try (InputStream in = Files.newInputStream(caFile)) {
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) store.setCertificateEntry("ca-file-" + i++, c);
            }
            if (i == 0) throw new InvalidInputException("--ca-file " + caFile + " holds no PEM certificate");
            Path file = work.resolve("truststore.p12");
            char[] password = "kastor".toCharArray(); // protects nothing secret: public CA certificates only
            try (OutputStream out = Files.newOutputStream(file)) {
                store.store(out, password);
            }
            for (String p : PROPS) previous.put(p, System.getProperty(p));
            System.setProperty(PROPS[0], file.toString());
            System.setProperty(PROPS[1], new String(password));
            System.setProperty(PROPS[2], "PKCS12");
        } catch (IOException | GeneralSecurityException e) {
            throw new InvalidInputException("--ca-file " + caFile + " cannot be read as PEM certificates: " + e.getMessage(), e);
        }
    }

    static CaTrust with(Path caFile, Path work) {
        return new CaTrust(caFile, work);
    }

    @Override
    public void close() {
        if (!set) return;
        previous.forEach((k, v) -> {
            if (v == null) System.clearProperty(k);
            else System.setProperty(k, v);
        });
    }
}
