package dev.kastor.bridge.agents;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agents file is shared by the CLI and every KAS replica: each sees the others' writes. */
class AgentStoreTest {
    @TempDir
    Path dir;

    @Test
    void aFleetRegisteredAtOnceIsWrittenOnceAndEveryTokenFindsItsAgent() throws Exception {
        Path file = dir.resolve("agents.json");
        var fleet = new AgentStore(file).registerAll("fleet/config", java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "a" + i).toList());
        var kas = new AgentStore(file);

        assertThat(kas.list()).hasSize(1000);
        for (var r : fleet) assertThat(kas.authenticate(r.token())).contains(r.agent());
        String stranger = "kastor_agent_" + "A".repeat(43);
        assertThat(kas.authenticate(stranger)).isEmpty();
        assertThat(kas.refusalReason(stranger)).isEqualTo("unknown");
    }

    @Test
    void aFleetWithANameTakenIsRefusedWholeAndNothingIsWritten() {
        Path file = dir.resolve("agents.json");
        var store = new AgentStore(file);
        store.register("fleet/config", "a1");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.registerAll("fleet/config", java.util.List.of("a0", "a1", "a2")))
                .hasMessageContaining("agent fleet/config:a1 already exists");
        assertThat(new AgentStore(file).list()).extracting(AgentStore.Agent::name).containsExactly("a1");
    }

    @Test
    void aRevocationByAnotherProcessIsSeenAtTheNextLook() {
        Path file = dir.resolve("agents.json");
        var kas = new AgentStore(file);
        var registered = kas.register("group/project", "one");
        assertThat(kas.authenticate(registered.token())).isPresent();

        assertThat(new AgentStore(file).revoke(registered.agent().id())).isTrue();

        assertThat(kas.authenticate(registered.token())).isEmpty();
        assertThat(kas.refusalReason(registered.token())).isEqualTo("revoked");
    }

    /**
     * A stamp of time and size alone misses a write made in the same clock tick that keeps the size (here: in place,
     * same inode, time stamp put back): until a later write, the revoked token kept working on a running KAS.
     */
    @Test
    void aRevocationWrittenInTheSameTickWithTheSameSizeIsSeenWithinAMoment() throws Exception {
        Path file = dir.resolve("agents.json");
        var cli = new AgentStore(file);
        var registered = cli.register("group/project", "one");
        Path copy = dir.resolve("revoked.json");
        Files.copy(file, copy);
        assertThat(new AgentStore(copy).revoke(registered.agent().id())).isTrue();
        byte[] revoked = Files.readAllBytes(copy);
        byte[] active = Files.readAllBytes(file);
        // JSON allows trailing white space: the active file padded to the revoked one's size
        byte[] padded = (new String(active, "UTF-8") + " ".repeat(revoked.length - active.length)).getBytes("UTF-8");
        Files.write(file, padded);
        var modified = Files.getLastModifiedTime(file);

        var kas = new AgentStore(file);
        assertThat(kas.authenticate(registered.token())).isPresent();

        Files.write(file, revoked, StandardOpenOption.TRUNCATE_EXISTING);
        Files.setLastModifiedTime(file, modified);

        // within a moment: while the stamp proves nothing, the content is compared every 200 ms, not on every call
        dev.kastor.testing.Eventually.until(java.time.Duration.ofSeconds(2), () -> "the revoked token refused",
                () -> kas.authenticate(registered.token()).isEmpty());
    }
}
