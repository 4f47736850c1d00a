package dev.kastor.bridge.kascfg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GitLab's OWN_PRIVATE_API_* variables: this replica's private API address, given or found in a network. */
class OwnPrivateApiTest {
    private static final KasConfig.Address PLAIN = new KasConfig.Address("0.0.0.0:8155", null, null, null);
    private static final KasConfig.Address TLS = new KasConfig.Address("0.0.0.0:8155", "tls.crt", "tls.key", null);

    private static List<InetAddress> host(String... addresses) {
        return java.util.Arrays.stream(addresses).map(a -> {
            try {
                return InetAddress.getByName(a);
            } catch (java.net.UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }

    private static String resolve(Map<String, String> env, KasConfig.Address listener, String... addresses) {
        return OwnPrivateApi.resolve(null, env, listener, () -> host(addresses));
    }

    @Test
    void theAddressInsideTheCidrWithTheListenersPortAndScheme() {
        assertThat(resolve(Map.of("OWN_PRIVATE_API_CIDR", "10.0.0.0/8"), PLAIN, "127.0.0.1", "10.1.2.3", "192.0.2.2")).isEqualTo("grpc://10.1.2.3:8155");
        assertThat(resolve(Map.of("OWN_PRIVATE_API_CIDR", "10.0.0.0/8"), TLS, "127.0.0.1", "10.1.2.3")).isEqualTo("grpcs://10.1.2.3:8155");
        assertThat(resolve(Map.of("OWN_PRIVATE_API_CIDR", "fd00::/64"), PLAIN, "::1", "fd00::2", "10.1.2.3")).isEqualTo("grpc://[fd00:0:0:0:0:0:0:2]:8155");
    }

    @Test
    void portAndSchemeVariablesWin() {
        assertThat(resolve(Map.of("OWN_PRIVATE_API_CIDR", "10.1.0.0/16", "OWN_PRIVATE_API_PORT", "443", "OWN_PRIVATE_API_SCHEME", "grpcs"), PLAIN,
                "10.1.2.3")).isEqualTo("grpcs://10.1.2.3:443");
    }

    @Test
    void noneOrSeveralAddressesInTheCidrAreRefusedNamingThem() {
        assertThatThrownBy(() -> resolve(Map.of("OWN_PRIVATE_API_CIDR", "203.0.113.0/24"), PLAIN, "127.0.0.1", "10.1.2.3"))
                .hasMessageContaining("holds none of this host's addresses [127.0.0.1, 10.1.2.3]");
        assertThatThrownBy(() -> resolve(Map.of("OWN_PRIVATE_API_CIDR", "10.0.0.0/8"), PLAIN, "10.1.2.3", "10.9.9.9"))
                .hasMessageContaining("holds several of this host's addresses [10.1.2.3, 10.9.9.9]").hasMessageContaining("narrower");
    }

    @Test
    void badValuesAreRefusedNamingTheVariable() {
        assertThatThrownBy(() -> resolve(Map.of("OWN_PRIVATE_API_CIDR", "gitlab.example.com/8"), PLAIN, "10.1.2.3")).hasMessageContaining("OWN_PRIVATE_API_CIDR must be a network");
        assertThatThrownBy(() -> resolve(Map.of("OWN_PRIVATE_API_CIDR", "10.0.0.0/33"), PLAIN, "10.1.2.3")).hasMessageContaining("prefix 0 to 32");
        assertThatThrownBy(() -> resolve(Map.of("OWN_PRIVATE_API_CIDR", "10.0.0.0"), PLAIN, "10.1.2.3")).hasMessageContaining("OWN_PRIVATE_API_CIDR must be");
        assertThatThrownBy(() -> resolve(Map.of("OWN_PRIVATE_API_CIDR", "10.0.0.0/8", "OWN_PRIVATE_API_SCHEME", "https"), PLAIN, "10.1.2.3"))
                .hasMessageContaining("OWN_PRIVATE_API_SCHEME must be grpc or grpcs");
        assertThatThrownBy(() -> resolve(Map.of("OWN_PRIVATE_API_CIDR", "10.0.0.0/8", "OWN_PRIVATE_API_PORT", "0"), PLAIN, "10.1.2.3"))
                .hasMessageContaining("OWN_PRIVATE_API_PORT must be a port");
        assertThatThrownBy(() -> resolve(Map.of("OWN_PRIVATE_API_CIDR", "10.0.0.0/8"), new KasConfig.Address("127.0.0.1:0", null, null, null), "10.1.2.3"))
                .hasMessageContaining("give OWN_PRIVATE_API_PORT");
        assertThatThrownBy(() -> resolve(Map.of("OWN_PRIVATE_API_CIDR", "10.0.0.0/8", "OWN_PRIVATE_API_URL", "grpc://10.1.2.3:8155"), PLAIN, "10.1.2.3"))
                .hasMessageContaining("give one");
        assertThatThrownBy(() -> resolve(Map.of("OWN_PRIVATE_API_PORT", "8155"), PLAIN, "10.1.2.3")).hasMessageContaining("give it too");
    }

    @Test
    void ownPrivateApiHostGoesWithAGrpcsUrlOnly() {
        var host = Map.of("OWN_PRIVATE_API_HOST", "kas-0.internal");
        assertThat(OwnPrivateApi.host(null, host, "grpcs://10.1.2.3:8155")).isEqualTo("kas-0.internal");
        assertThat(OwnPrivateApi.host("kas-1.internal", host, "grpcs://10.1.2.3:8155")).as("the file wins").isEqualTo("kas-1.internal");
        assertThat(OwnPrivateApi.host(null, Map.of(), "grpcs://10.1.2.3:8155")).isNull();
        for (String url : new String[] {"grpc://10.1.2.3:8155", "unix:///run/kastor-kas/private-api.socket"}) {
            assertThatThrownBy(() -> OwnPrivateApi.host(null, host, url))
                    .hasMessageContaining("OWN_PRIVATE_API_HOST").hasMessageContaining(url + " has no TLS");
        }
        assertThatThrownBy(() -> OwnPrivateApi.host(null, Map.of("OWN_PRIVATE_API_HOST", "https://kas-0:443"), "grpcs://10.1.2.3:8155"))
                .hasMessageContaining("OWN_PRIVATE_API_HOST must be a host name");
    }

    @Test
    void cidrDiscoveryForAUnixSocketPrivateApiIsRefused() {
        var unix = KasConfig.Address.unix("/run/kastor-kas/private-api.socket");
        assertThatThrownBy(() -> resolve(Map.of("OWN_PRIVATE_API_CIDR", "10.0.0.0/8"), unix, "10.1.2.3"))
                .hasMessageContaining("OWN_PRIVATE_API_CIDR").hasMessageContaining("OWN_PRIVATE_API_URL=unix:///run/kastor-kas/private-api.socket");
    }

    @Test
    void theGivenUrlStaysAsItIs() {
        assertThat(resolve(Map.of("OWN_PRIVATE_API_URL", "grpc://10.1.2.3:8155"), PLAIN)).isEqualTo("grpc://10.1.2.3:8155");
        assertThat(resolve(Map.of(), PLAIN)).isNull();
    }

    /** The real interfaces of this machine: its loopback address is the only one in 127.0.0.0/8. */
    @Test
    void aKasConfigFindsItsAddressAmongThisHostsInterfaces() throws Exception {
        var config = new KasConfig(null, new KasConfig.GitLab("https://gitlab.example.com"), null, null, null, null,
                java.util.Base64.getEncoder().encodeToString(new byte[32]), java.util.Base64.getEncoder().encodeToString(new byte[32]),
                null, null, null, null, new KasConfig.Redis("redis://127.0.0.1:6379", null, null), null)
                .withDefaults(java.nio.file.Path.of("/tmp"), Map.of("OWN_PRIVATE_API_CIDR", "127.0.0.1/32"));
        assertThat(config.ownPrivateApiUrl()).isEqualTo("grpc://127.0.0.1:8155");
    }
}
