package dev.kastor.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/**
 * A self-signed RSA certificate for 127.0.0.1 made by openssl (SAN {@code IP:127.0.0.1}): the registry's TLS
 * certificate, and the token realm's signing certificate.
 */
public record SelfSignedCert(Path certPem, Path keyPem) {
    public static SelfSignedCert create(Path dir, String name) {
        return create(dir, name, "127.0.0.1", "IP:127.0.0.1");
    }

    /** A certificate naming only the DNS name {@code host} (not the address a test dials it at). */
    public static SelfSignedCert forHost(Path dir, String name, String host) {
        return create(dir, name, host, "DNS:" + host);
    }

    private static SelfSignedCert create(Path dir, String name, String commonName, String subjectAltName) {
        Path openssl = Programs.require("openssl", "openssl");
        Path cert = dir.resolve(name + ".crt");
        Path key = dir.resolve(name + ".key");
        Programs.check(List.of(openssl.toString(), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
                "-out", cert.toString(), "-subj", "/CN=" + commonName, "-addext", "subjectAltName=" + subjectAltName, "-days", "2"), 60);
        return new SelfSignedCert(cert, key);
    }

    public X509Certificate certificate() {
        try (var in = Files.newInputStream(certPem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + certPem, e);
        }
    }

    /** openssl 3 writes PKCS#8 ("BEGIN PRIVATE KEY"), which the JDK reads directly. */
    public PrivateKey privateKey() {
        try {
            String pem = Files.readString(keyPem);
            String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot read " + keyPem + " as a PKCS#8 RSA key", e);
        }
    }
}
