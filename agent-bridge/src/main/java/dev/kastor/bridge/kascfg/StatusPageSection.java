package dev.kastor.bridge.kascfg;

import dev.kastor.bridge.statuspage.StatusPageDefaults;
import java.nio.file.Path;
import java.time.Duration;

/** The {@code status_page} section's checks: every mistake is refused at start, naming the key. */
final class StatusPageSection {
    private StatusPageSection() {}

    private static final String KEY = "status_page";

    /** Null when the section is absent: KAS then serves no page and no sign-in. */
    static KasConfig.StatusPage withDefaults(KasConfig.StatusPage section, Path base) {
        if (section == null) return null;
        String tokenFile = section.operatorTokenFile() == null ? null : base.resolve(section.operatorTokenFile()).toString();
        String ttl = section.sessionTtl() == null ? StatusPageDefaults.SESSION_TTL.toHours() + "h" : section.sessionTtl();
        var checked = new KasConfig.StatusPage(tokenFile, ttl);
        if (tokenFile != null && checked.operatorToken().length() < StatusPageDefaults.MIN_OPERATOR_TOKEN) {
            throw new IllegalArgumentException(KEY + ".operator_token_file " + tokenFile + " holds fewer than "
                    + StatusPageDefaults.MIN_OPERATOR_TOKEN + " characters: it signs in an operator, who sees every agent;"
                    + " make one with: head -c 32 /dev/urandom | base64 > " + tokenFile);
        }
        Duration lifetime = checked.sessionLifetime();
        if (lifetime == null || lifetime.compareTo(StatusPageDefaults.MIN_SESSION_TTL) < 0 || lifetime.compareTo(StatusPageDefaults.MAX_SESSION_TTL) > 0) {
            throw new IllegalArgumentException(KEY + ".session_ttl must be a duration from 1m to 168h (30m, 8h, PT12H), got " + section.sessionTtl());
        }
        return checked;
    }
}
