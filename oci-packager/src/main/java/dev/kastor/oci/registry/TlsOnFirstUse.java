package dev.kastor.oci.registry;

import java.lang.reflect.Field;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.function.Supplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The JVM's default TLS context ({@link SSLContext#getDefault()}: the system trust store, {@code javax.net.ssl.*}
 * properties), set up only when the first TLS connection is made. The JDK's HTTP client takes the default context
 * when it is built, which loads and parses the whole trust store (~150 certificates) and sets up key managers and a
 * random source: 10% of a small {@code kastor artifact push} to a plain-HTTP registry (docs/benchmarks.md), on the
 * path to its first request, for a context it never uses. The context is the same one, so what a connection trusts
 * does not change; a default context that cannot be set up fails that first connection instead of the client's
 * construction.
 *
 * <p>The only thing the client asks of the context when it is built are the default parameters (protocols, cipher
 * suites). Those do not depend on what is trusted: they come from a TLS context with no keys and no trust, which is
 * never used to connect.
 */
final class TlsOnFirstUse extends SSLContext {
    TlsOnFirstUse(Supplier<SSLContext> context) {
        this(context, defaultParametersSource());
    }

    private TlsOnFirstUse(Supplier<SSLContext> context, SSLContext defaults) {
        super(new Spi(context, defaults), defaults.getProvider(), "Default");
    }

    /**
     * Gives oras-java's client builder this context unless it has one of its own to set (a CA file, or no TLS checks):
     * oras has no option for it, so the JDK builder it holds is reached by reflection. Returns false, changing nothing,
     * when that builder is not where this oras version keeps it: the client then takes the default context at once,
     * as before. A test fails when that happens.
     */
    static boolean installInto(land.oras.auth.HttpClient.Builder oras) {
        try {
            Object client = field(oras.getClass(), "client").get(oras);
            Object jdk = field(client.getClass(), "builder").get(client);
            if (!(jdk instanceof java.net.http.HttpClient.Builder builder)) return false;
            builder.sslContext(new TlsOnFirstUse(TlsOnFirstUse::jvmDefault));
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    private static Field field(Class<?> owner, String name) throws NoSuchFieldException {
        Field f = owner.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }

    private static SSLContext jvmDefault() {
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no default TLS context: " + e.getMessage(), e);
        }
    }

    /** A TLS context with no keys and nothing trusted: its defaults are the JVM's, and it cannot complete a handshake. */
    private static SSLContext defaultParametersSource() {
        try {
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(new KeyManager[0], new TrustManager[0], null);
            return tls;
        } catch (NoSuchAlgorithmException | KeyManagementException e) {
            throw new IllegalStateException("the JVM has no TLS context: " + e.getMessage(), e);
        }
    }

    private static final class Spi extends SSLContextSpi {
        private final Supplier<SSLContext> source;
        private final SSLContext defaults;
        private volatile SSLContext context;

        Spi(Supplier<SSLContext> source, SSLContext defaults) {
            this.source = source;
            this.defaults = defaults;
        }

        private SSLContext context() {
            SSLContext c = context;
            if (c == null) {
                synchronized (this) {
                    c = context;
                    if (c == null) context = c = source.get();
                }
            }
            return c;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {
            throw new UnsupportedOperationException("the default TLS context cannot be initialised again");
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return defaults.getDefaultSSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return defaults.getSupportedSSLParameters();
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return context().getSocketFactory();
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return context().getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return context().createSSLEngine();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return context().createSSLEngine(host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return context().getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return context().getClientSessionContext();
        }
    }
}
