package dev.kastor.bridge.statuspage.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class SessionsTest {
    /** A clock the test moves. */
    static final class Hands extends Clock {
        Instant now = Instant.parse("2026-12-07T10:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    final Hands clock = new Hands();
    final Sessions sessions = new Sessions(clock, Duration.ofHours(8), 3);

    @Test
    void sessionIsFoundByItsIdUntilItsLifetimeEnds() {
        var started = sessions.start(new Sessions.Operator()).orElseThrow();

        clock.now = clock.now.plus(Duration.ofHours(8)).minusSeconds(1);
        assertThat(sessions.find(started.id())).contains(started.session());

        clock.now = clock.now.plusSeconds(1);
        assertThat(sessions.find(started.id())).isEmpty();
        assertThat(sessions.live()).isZero();
    }

    @Test
    void idsAndCsrfTokensAreRandomAndUnrelated() {
        var a = sessions.start(new Sessions.Operator()).orElseThrow();
        var b = sessions.start(new Sessions.Operator()).orElseThrow();

        assertThat(a.id()).hasSize(43).isNotEqualTo(b.id()).isNotEqualTo(a.session().csrfToken());
        assertThat(a.session().csrfToken()).hasSize(43).isNotEqualTo(b.session().csrfToken());
        assertThat(sessions.find(a.id() + "x")).isEmpty();
        assertThat(sessions.find(a.session().csrfToken())).isEmpty();
    }

    @Test
    void noSessionBeyondTheBoundUntilOneEnds() {
        var first = sessions.start(new Sessions.Operator()).orElseThrow();
        sessions.start(new Sessions.Operator()).orElseThrow();
        sessions.start(new Sessions.Operator()).orElseThrow();

        assertThat(sessions.start(new Sessions.Operator())).isEmpty();

        sessions.end(first.id());
        assertThat(sessions.start(new Sessions.Operator())).isPresent();
    }

    @Test
    void csrfTokenMatchesOnlyItself() {
        var s = sessions.start(new Sessions.Operator()).orElseThrow().session();

        assertThat(Sessions.csrfMatches(s, s.csrfToken())).isTrue();
        assertThat(Sessions.csrfMatches(s, s.csrfToken().substring(1))).isFalse();
        assertThat(Sessions.csrfMatches(s, null)).isFalse();
        assertThat(Sessions.csrfMatches(s, "")).isFalse();
    }

    @Test
    void personalAccessTokenIsNeverInASessionsText() {
        var started = sessions.start(new Sessions.User(42, "alice", "glpat-secret-value")).orElseThrow();

        assertThat(started.toString()).doesNotContain("glpat-secret-value").doesNotContain(started.id()).contains("alice");
        assertThat(started.session().toString()).doesNotContain("glpat-secret-value").doesNotContain(started.session().csrfToken());
    }
}
