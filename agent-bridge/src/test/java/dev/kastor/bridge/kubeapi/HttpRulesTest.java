package dev.kastor.bridge.kubeapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What ends at a hop of the k8s proxy, as RFC 9110 7.6.1 says: the hop-by-hop headers and those Connection names. */
class HttpRulesTest {

    @Test
    void hopByHopHeadersAndTheOnesConnectionNamesEndAtTheHopInAnyCase() {
        var options = HttpRules.connectionOptions(List.of("keep-alive, X-Hop-Secret", " TE "));
        assertThat(options).containsExactlyInAnyOrder("keep-alive", "x-hop-secret", "te");
        assertThat(HttpRules.endsAtHop("X-Hop-Secret", options, false)).isTrue();
        assertThat(HttpRules.endsAtHop("Proxy-Authorization", Set.of(), false)).isTrue();
        assertThat(HttpRules.endsAtHop("Transfer-Encoding", Set.of(), false)).isTrue();
        assertThat(HttpRules.endsAtHop("Accept", options, false)).isFalse();
        assertThat(HttpRules.endsAtHop("Impersonate-User", options, false)).isFalse(); // refused elsewhere, not hop-by-hop
    }

    @Test
    void anUpgradeKeepsConnectionAndUpgradeForTheNextHop() {
        var options = HttpRules.connectionOptions(List.of("Upgrade"));
        assertThat(HttpRules.isUpgrade(true, List.of("Upgrade"))).isTrue();
        assertThat(HttpRules.endsAtHop("Connection", options, true)).isFalse();
        assertThat(HttpRules.endsAtHop("Upgrade", options, true)).isFalse();
        assertThat(HttpRules.endsAtHop("Connection", options, false)).isTrue();
    }

    @Test
    void anUpgradeNeedsTheUpgradeTokenInConnectionNotJustTheLetters() {
        assertThat(HttpRules.isUpgrade(true, List.of("keep-alive, upgrade"))).isTrue();
        assertThat(HttpRules.isUpgrade(true, List.of("x-no-upgrade-here"))).isFalse();
        assertThat(HttpRules.isUpgrade(false, List.of("upgrade"))).isFalse();
    }
}
