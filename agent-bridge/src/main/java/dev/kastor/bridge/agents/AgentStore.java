package dev.kastor.bridge.agents;

import dev.kastor.bridge.observability.Causes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The agents KAS knows, in one JSON file. Only a SHA-256 hash of each token is kept (tokens carry 256 random bits,
 * so a plain hash cannot be brute-forced), and hashes are compared in constant time. The file is re-read when it
 * changed on disk, so {@code kastor-kas agent revoke} takes effect on a running server.
 */
public final class AgentStore {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String TOKEN_PREFIX = "kastor_agent_";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** What {@link #register} issues: the prefix and 32 random bytes in unpadded base64url. */
    private static final Pattern TOKEN_SHAPE = Pattern.compile(TOKEN_PREFIX + "[A-Za-z0-9_-]{43}");

    /** A registered agent; {@code tokenHash} is hex SHA-256 of its token. */
    public record Agent(long id, String name, String configProject, String tokenHash, Instant created, Instant revoked) {
        public boolean active() {
            return revoked == null;
        }

        @Override
        public String toString() {
            return "Agent[id=" + id + ", name=" + name + ", configProject=" + configProject + ", revoked=" + revoked + "]";
        }
    }

    /** A new agent and its token, which exists only in this value (shown once). */
    public record Registered(Agent agent, String token) {
        @Override
        public String toString() {
            return "Registered[" + agent + "]";
        }
    }

    private final Path file;
    private List<Agent> agents = List.of();
    /**
     * {@link #agents} by id, and by the first {@link #PREFIX} hex digits of their token hash: every call of every agent
     * is authenticated, so a fleet of 10,000 must not cost a comparison with 10,000 hashes per call.
     */
    private Map<Long, Agent> ids = Map.of();
    private Map<String, List<Agent>> byPrefix = Map.of();
    private static final int PREFIX = 16;
    /** What the file looked like when {@link #agents} was read from it; null before the first read. */
    private Stamp loaded;
    /** When the file's content was last compared (System.nanoTime). */
    private long contentCheckedAt;
    private static final Duration RECHECK = Duration.ofMillis(200);
    /** SHA-256 of the bytes {@link #agents} was read from, to tell a racy re-read that changed nothing. */
    private String loadedDigest = "";

    public AgentStore(Path file) {
        this.file = file;
    }

    public synchronized Registered register(String configProject, String name) {
        return register(configProject, name, null);
    }

    /**
     * Registers an agent under {@code id} (GitLab's agent id, so that {@code allowed_agents} answers name it), or
     * the next free id when null.
     */
    public synchronized Registered register(String configProject, String name, Long id) {
        reload();
        var next = new ArrayList<>(agents);
        Registered r = add(next, configProject, name, id);
        save(next);
        return r;
    }

    /**
     * Registers agents {@code names} of {@code configProject} at once, each under the next free id, writing the file
     * once: a fleet's thousands of agents would otherwise each rewrite a file that grows with every one. Nothing is
     * written when one of them is refused.
     */
    public synchronized List<Registered> registerAll(String configProject, List<String> names) {
        reload();
        var next = new ArrayList<>(agents);
        var registered = new ArrayList<Registered>(names.size());
        for (String name : names) registered.add(add(next, configProject, name, null));
        save(next);
        return registered;
    }

    private static Registered add(List<Agent> next, String configProject, String name, Long id) {
        if (id != null && next.stream().anyMatch(a -> a.id() == id)) {
            throw new IllegalArgumentException("agent id " + id + " is already taken (see 'kastor-kas agent list')");
        }
        for (Agent a : next) {
            if (a.active() && a.configProject().equals(configProject) && a.name().equals(name)) {
                throw new IllegalArgumentException("agent " + configProject + ":" + name + " already exists (id " + a.id()
                        + "); revoke it first with 'kastor-kas agent revoke " + a.id() + "'");
            }
        }
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String token = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        long newId = id != null ? id : next.stream().mapToLong(Agent::id).max().orElse(0) + 1;
        Agent agent = new Agent(newId, name, configProject, hash(token), Instant.now(), null);
        next.add(agent);
        return new Registered(agent, token);
    }

    public synchronized List<Agent> list() {
        reload();
        return agents;
    }

    public synchronized Optional<Agent> byId(long id) {
        reload();
        return Optional.ofNullable(ids.get(id));
    }

    /** Revokes the agent; its token stops working at once. False when there is no such active agent. */
    public synchronized boolean revoke(long id) {
        reload();
        var next = new ArrayList<Agent>();
        boolean found = false;
        for (Agent a : agents) {
            if (a.id() == id && a.active()) {
                a = new Agent(a.id(), a.name(), a.configProject(), a.tokenHash(), a.created(), Instant.now());
                found = true;
            }
            next.add(a);
        }
        if (found) save(next);
        return found;
    }

    /** The active agent this token belongs to. */
    public synchronized Optional<Agent> authenticate(String token) {
        return holderOf(token).filter(Agent::active);
    }

    /**
     * Why {@link #authenticate} refused this token, for the log: {@code malformed} (not the shape of a token KAS
     * issues), {@code revoked} (an agent's token, revoked) or {@code unknown}. Never says which agent.
     */
    public synchronized String refusalReason(String token) {
        if (!TOKEN_SHAPE.matcher(token).matches()) return "malformed";
        return holderOf(token).filter(a -> !a.active()).isPresent() ? "revoked" : "unknown";
    }

    /**
     * The agent, active or revoked, this token was issued to. Candidates are found by the first 8 bytes of the token's
     * hash, and each one's whole hash is compared in constant time: the look-up's timing can tell only whether a stored
     * hash shares a prefix with the hash of what was presented, which leads no closer to a token.
     */
    private Optional<Agent> holderOf(String token) {
        reload();
        String presentedHex = hash(token);
        byte[] presented = HexFormat.of().parseHex(presentedHex);
        Agent match = null;
        for (Agent a : byPrefix.getOrDefault(presentedHex.substring(0, PREFIX), List.of())) {
            // A revoked token may be issued again only by chance of 2^-256: an active holder wins all the same.
            if (MessageDigest.isEqual(presented, HexFormat.of().parseHex(a.tokenHash())) && (match == null || a.active())) match = a;
        }
        return Optional.ofNullable(match);
    }

    static String hash(String token) {
        return Hashes.sha256(token);
    }

    /**
     * How a change to the file is noticed without reading it: its inode, time stamp and size. A stamp read within
     * {@link #RACY} of the time stamp proves nothing: a second write in the same clock tick (file systems keep
     * 1 ms to 1 s) with the same size would look unchanged, and a revocation would be missed until the next write.
     * So, as git does for its index, such a stamp is checked against the content until it is old enough.
     */
    record Stamp(Object fileKey, FileTime modified, long size, Instant readAt) {
        static final Duration RACY = Duration.ofSeconds(3);

        static Stamp of(Path file) throws IOException {
            var a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.fileKey(), a.lastModifiedTime(), a.size(), Instant.now());
        }

        boolean sameFileAs(Stamp earlier) {
            return sameStampAs(earlier) && !earlier.racy();
        }

        boolean sameStampAs(Stamp earlier) {
            return earlier != null && Objects.equals(fileKey, earlier.fileKey) && modified.equals(earlier.modified) && size == earlier.size;
        }

        /** Read so soon after the write that another write may have followed in the same tick. */
        boolean racy() {
            return Duration.between(modified.toInstant(), readAt).compareTo(RACY) < 0;
        }
    }

    private void reload() {
        try {
            if (!Files.exists(file)) {
                use(List.of());
                loaded = null;
                loadedDigest = "";
                return;
            }
            Stamp now = Stamp.of(file);
            if (now.sameFileAs(loaded)) return;
            // Racy, but the stamp is unchanged: the content is compared at most every RECHECK, not on every call (after a
            // register or revoke, a fleet's thousands of calls a second would each read and hash the whole file). A
            // second write in the same tick with the same size is then seen within RECHECK.
            if (now.sameStampAs(loaded) && System.nanoTime() - contentCheckedAt < RECHECK.toNanos()) return;
            contentCheckedAt = System.nanoTime();
            byte[] bytes = Files.readAllBytes(file);
            String digest = Hashes.sha256(bytes);
            if (!digest.equals(loadedDigest)) use(JSON.readValue(bytes, new TypeReference<List<Agent>>() {}));
            loaded = now;
            loadedDigest = digest;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the agent store " + file + ": " + Causes.describe(e), e);
        }
    }

    private void use(List<Agent> all) {
        agents = List.copyOf(all);
        var byId = new HashMap<Long, Agent>();
        var prefixes = new HashMap<String, List<Agent>>();
        for (Agent a : agents) {
            byId.put(a.id(), a);
            if (a.tokenHash().length() >= PREFIX) {
                prefixes.computeIfAbsent(a.tokenHash().substring(0, PREFIX).toLowerCase(Locale.ROOT), k -> new ArrayList<>(1)).add(a);
            }
        }
        ids = byId;
        byPrefix = prefixes;
    }

    private void save(List<Agent> next) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".agents", ".json");
            byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(next);
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            use(next);
            // Another replica may write between the move and this look; the stamp is racy then, so the next read
            // compares the content and finds that write.
            loaded = Stamp.of(file);
            loadedDigest = Hashes.sha256(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the agent store " + file + ": " + Causes.describe(e), e);
        }
    }
}
