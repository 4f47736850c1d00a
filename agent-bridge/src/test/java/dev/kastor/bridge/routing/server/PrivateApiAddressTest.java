package dev.kastor.bridge.routing.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a replica advertises in the tracker, and how the others read it back, entries of older replicas included. */
class PrivateApiAddressTest {
    @Test
    void withoutAServerNameTheEntryIsTheBareUrlAsOlderReplicasWroteIt() {
        assertThat(new PrivateApiAddress("grpcs://10.0.0.5:8155", null).advertised()).isEqualTo("grpcs://10.0.0.5:8155");
        assertThat(PrivateApiAddress.parse("grpcs://10.0.0.5:8155")).isEqualTo(new PrivateApiAddress("grpcs://10.0.0.5:8155", null));
        assertThat(PrivateApiAddress.parse("unix:///run/kastor-kas/private-api.socket").uri().getPath())
                .isEqualTo("/run/kastor-kas/private-api.socket");
    }

    @Test
    void theServerNameTravelsWithTheUrl() {
        var a = new PrivateApiAddress("grpcs://10.0.0.5:8155", "kas-0.internal");

        assertThat(a.advertised()).isEqualTo("grpcs://10.0.0.5:8155?server_name=kas-0.internal");
        assertThat(PrivateApiAddress.parse(a.advertised())).isEqualTo(a);
        assertThat(a.uri().getHost()).as("older replicas dial the URL's host and port").isEqualTo("10.0.0.5");
    }
}
