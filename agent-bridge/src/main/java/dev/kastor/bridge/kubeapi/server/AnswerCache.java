package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.agents.Hashes;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * GitLab's answers about a token, kept briefly as GitLab's KAS keeps them: answers {@link #OK} (1 min), refusals and
 * failures {@link #ERROR} (10 s), so a burst of kubectl requests costs GitLab one call. Keys are hashed, so the cache
 * holds no tokens; it is bounded, since anyone can present made-up tokens.
 */
public final class AnswerCache<V> {
    public static final Duration OK = Duration.ofMinutes(1);
    public static final Duration ERROR = Duration.ofSeconds(10);

    /** Asks GitLab (or whatever decides) when the cache holds nothing current for a key. */
    public interface Source<V> {
        V fetch() throws ProxyFailure, InterruptedException;
    }

    private record Entry<V>(long expires, V answer, ProxyFailure failure) {}

    private final int maxEntries;
    private final Map<String, Entry<V>> entries = new ConcurrentHashMap<>();

    /** {@code maxEntries}: how many keys are kept at most (the oldest go first beyond it). */
    public AnswerCache(int maxEntries) {
        this.maxEntries = maxEntries;
    }

    /** The current answer for {@code key} (a token or what contains one), else {@code source}'s, remembered. */
    public V get(String key, Source<V> source) throws ProxyFailure, InterruptedException {
        String hashed = Hashes.sha256(key);
        V known = cached(hashed);
        if (known != null) return known;
        try {
            V answer = source.fetch();
            remember(hashed, new Entry<>(System.nanoTime() + OK.toNanos(), answer, null));
            return answer;
        } catch (ProxyFailure f) {
            remember(hashed, new Entry<>(System.nanoTime() + ERROR.toNanos(), null, f));
            throw f;
        }
    }

    /** The answer still held for {@code key}, without asking; null when none is. */
    public V cachedAnswer(String key) throws ProxyFailure {
        return cached(Hashes.sha256(key));
    }

    private V cached(String hashed) throws ProxyFailure {
        Entry<V> e = entries.get(hashed);
        if (e == null || e.expires() <= System.nanoTime()) return null;
        if (e.failure() != null) throw e.failure();
        return e.answer();
    }

    /** Expired answers go when the cache grows, and past {@code maxEntries} the oldest ones too. */
    private void remember(String hashed, Entry<V> entry) {
        if (entries.size() >= maxEntries / 2) {
            long now = System.nanoTime();
            entries.values().removeIf(e -> e.expires() <= now);
            if (entries.size() >= maxEntries) {
                entries.entrySet().stream().sorted(Comparator.comparingLong(x -> x.getValue().expires()))
                        .limit(entries.size() - maxEntries / 2).map(Map.Entry::getKey).toList().forEach(entries::remove);
            }
        }
        entries.put(hashed, entry);
    }
}
