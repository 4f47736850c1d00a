package dev.kastor.bridge.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What modules hand each other, and how each finds its own tuning. */
class PartsAndTuningsTest {
    @Test
    void aModuleGetsThePartAnEarlierModuleProvided() {
        var parts = new Parts();
        parts.provide(CharSequence.class, "the finder", "routing");

        assertThat(parts.require(CharSequence.class, "k8s_proxy")).isEqualTo("the finder");
    }

    @Test
    void aMissingPartNamesTheModuleThatNeedsItAndHowToFixTheList() {
        assertThatThrownBy(() -> new Parts().require(CharSequence.class, "k8s_proxy"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("module k8s_proxy needs a CharSequence, which no module before it in the list provides: "
                        + "put the module that provides it first");
    }

    @Test
    void aSecondProviderOfOnePartIsRefusedNamingBoth() {
        var parts = new Parts();
        parts.provide(CharSequence.class, "one", "config");

        assertThatThrownBy(() -> parts.provide(CharSequence.class, "two", "other"))
                .hasMessage("module other provides a CharSequence, which module config already provides");
        assertThat(parts.require(CharSequence.class, "k8s_proxy")).isEqualTo("one");
    }

    @Test
    void aModuleGetsTheTuningOfItsDefaultsTypeElseItsDefaults() {
        var tunings = Tunings.of(new Backoff(Duration.ofMillis(10), Duration.ofMillis(20)));

        assertThat(tunings.or(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(20)))).isEqualTo(new Backoff(Duration.ofMillis(10), Duration.ofMillis(20)));
        assertThat(tunings.or(Duration.ofSeconds(5))).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void twoTuningsOfOneTypeAreRefused() {
        assertThatThrownBy(() -> Tunings.of(Duration.ofSeconds(1), Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("two tunings of type Duration");
    }
}
