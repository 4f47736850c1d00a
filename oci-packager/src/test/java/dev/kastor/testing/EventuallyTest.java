package dev.kastor.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventuallyTest {
    @Test
    void returnsTheFirstValueThatSatisfiesTheCondition() throws Exception {
        var reads = new AtomicInteger();

        int seen = Eventually.value(Duration.ofSeconds(10), () -> "three reads", reads::incrementAndGet, n -> n >= 3);

        assertThat(seen).isEqualTo(3);
        assertThat(reads).hasValue(3);
    }

    @Test
    void failsNamingWhatItWaitedForAndTheLastValueOnceTheLimitPasses() {
        assertThatThrownBy(() -> Eventually.value(Duration.ofMillis(100), () -> "a value above 5", () -> 1, n -> n > 5))
                .isInstanceOf(AssertionError.class).hasMessage("not within 0 s: a value above 5 (last seen: 1)");
    }

    @Test
    void aCheckThatThrowsEndsTheWaitWithItsException() {
        assertThatThrownBy(() -> Eventually.until(Duration.ofSeconds(10), () -> "never", () -> {
            throw new java.io.IOException("gone");
        })).isInstanceOf(java.io.IOException.class).hasMessage("gone");
    }
}
