package dev.kastor.bridge.kascfg;

import dev.kastor.bridge.observability.Causes;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;

/** The {@code receptive_agents} section's checks: every mistake is refused at start, naming the key. */
final class ReceptiveSection {
    private ReceptiveSection() {}

    private static final String KEY = "receptive_agents";

    static KasConfig.ReceptiveAgents withDefaults(KasConfig.ReceptiveAgents section) {
        if (section == null || section.agents() == null || section.agents().isEmpty()) return KasConfig.ReceptiveAgents.NONE;
        clientCertificate(section.clientCertificateFile(), section.clientKeyFile());
        var ids = new HashSet<Long>();
        for (var agent : section.agents()) {
            if (agent == null || agent.id() == null || agent.id() <= 0) {
                throw new IllegalArgumentException(KEY + ".agents[].id is missing: give the agent id 'kastor-kas agent register' printed");
            }
            if (!ids.add(agent.id())) throw new IllegalArgumentException(KEY + ".agents lists agent " + agent.id() + " twice");
            url(agent);
            if (agent.caCertificateFile() != null) ca(agent);
        }
        return new KasConfig.ReceptiveAgents(section.clientCertificateFile(), section.clientKeyFile(), List.copyOf(section.agents()));
    }

    /** KAS's client certificate and key must be there, readable, and belong together: an agent would refuse KAS otherwise. */
    private static void clientCertificate(String cert, String key) {
        if (cert == null || key == null) {
            throw new IllegalArgumentException(KEY + ".client_certificate_file and " + KEY + ".client_key_file are needed to dial agents:"
                    + " KAS proves itself to an agent with this certificate, of the CA the agent's --listen-client-ca names");
        }
        KasConfig.contents(KEY + ".client_certificate_file", cert);
        KasConfig.contents(KEY + ".client_key_file", key);
        try {
            SslContextBuilder.forClient().keyManager(new File(cert), new File(key)).build();
            if (!pair(Path.of(cert), Path.of(key))) throw new IllegalArgumentException("the key does not sign for the certificate's public key");
        } catch (Exception e) {
            throw new IllegalArgumentException(KEY + ".client_key_file " + key + " is not the PEM private key of " + KEY
                    + ".client_certificate_file " + cert + ": " + Causes.describe(e), e);
        }
    }

    /**
     * Whether the key signs what the certificate's public key verifies (TLS would only find out at the handshake, as
     * the agent refusing KAS). Netty has read both already, so the key is PKCS#8 PEM.
     */
    private static boolean pair(Path cert, Path key) throws Exception {
        PublicKey pub;
        try (var in = Files.newInputStream(cert)) {
            pub = CertificateFactory.getInstance("X.509").generateCertificate(in).getPublicKey();
        }
        String base64 = Files.readString(key).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        var priv = KeyFactory.getInstance(pub.getAlgorithm()).generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
        String algorithm = "SHA256with" + ("EC".equals(pub.getAlgorithm()) ? "ECDSA" : pub.getAlgorithm());
        byte[] probe = "kastor receptive agents".getBytes(StandardCharsets.US_ASCII);
        var signer = Signature.getInstance(algorithm);
        signer.initSign(priv);
        signer.update(probe);
        byte[] signed = signer.sign();
        var verifier = Signature.getInstance(algorithm);
        verifier.initVerify(pub);
        verifier.update(probe);
        return verifier.verify(signed);
    }

    private static void url(KasConfig.ReceptiveAgent agent) {
        String key = KEY + ".agents[" + agent.id() + "].url";
        URI u;
        try {
            u = agent.url() == null ? null : new URI(agent.url());
        } catch (Exception e) {
            u = null;
        }
        if (u == null || !"grpcs".equals(u.getScheme()) || u.getHost() == null || u.getPort() < 0) {
            throw new IllegalArgumentException(key + " must be grpcs://host:port, the agent's --listen (KAS dials agents over TLS only), got "
                    + agent.url());
        }
    }

    private static void ca(KasConfig.ReceptiveAgent agent) {
        String key = KEY + ".agents[" + agent.id() + "].ca_certificate_file";
        KasConfig.contents(key, agent.caCertificateFile());
        try {
            SslContextBuilder.forClient().trustManager(new File(agent.caCertificateFile())).build();
        } catch (Exception e) {
            throw new IllegalArgumentException(key + " " + agent.caCertificateFile() + " holds no PEM CA certificate: give the CA that"
                    + " signed the agent's --listen-cert: " + Causes.describe(e), e);
        }
    }
}
