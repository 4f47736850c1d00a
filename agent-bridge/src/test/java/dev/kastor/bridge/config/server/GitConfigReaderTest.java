package dev.kastor.bridge.config.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.GitHttpServer;
import dev.kastor.bridge.kascfg.KasConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitConfigReaderTest {
    @TempDir
    Path dir;

    @Test
    void aFileWhoseBlobTheCallerKnowsIsNotReadAgainNorAFileStillMissing() throws Exception {
        try (var git = GitHttpServer.start(dir.resolve("git"))) {
            git.createRepo("fleet/config");
            git.commit("fleet/config", Map.of(".gitlab/agents/a/config.yaml", "# a 1\n".getBytes(StandardCharsets.UTF_8),
                    ".gitlab/agents/b/config.yaml", "# b 1\n".getBytes(StandardCharsets.UTF_8)), "two agents");
            var settings = new KasConfig.AgentConfiguration(git.urlTemplate(), null, null, null, null, null, null);
            var reader = new GitConfigReader(dir.resolve("cache"), GitRemote.of(settings));
            String url = git.url("fleet/config");
            var paths = List.of(".gitlab/agents/a/config.yaml", ".gitlab/agents/b/config.yaml", ".gitlab/agents/c/config.yaml");
            var first = reader.read(url, reader.head(url, null), paths, Map.of());
            String blobOfA = ((GitConfigReader.FileAt.Found) first.get(paths.get(0))).blob();
            String blobOfB = ((GitConfigReader.FileAt.Found) first.get(paths.get(1))).blob();

            git.commit("fleet/config", ".gitlab/agents/b/config.yaml", "# b 2\n");
            var second = reader.read(url, reader.head(url, null), paths, Map.of(paths.get(0), blobOfA, paths.get(1), blobOfB,
                    paths.get(2), GitConfigReader.NO_FILE));

            assertThat(first.get(paths.get(2))).isInstanceOf(GitConfigReader.FileAt.Missing.class);
            assertThat(second.get(paths.get(0))).isInstanceOf(GitConfigReader.FileAt.Unchanged.class);
            assertThat(new String(((GitConfigReader.FileAt.Found) second.get(paths.get(1))).bytes(), StandardCharsets.UTF_8)).isEqualTo("# b 2\n");
            // still no file for agent c: not looked at again
            assertThat(second.get(paths.get(2))).isInstanceOf(GitConfigReader.FileAt.Unchanged.class);

            git.commit("fleet/config", ".gitlab/agents/c/config.yaml", "# c 1\n");
            var third = reader.read(url, reader.head(url, null), List.of(paths.get(2)), Map.of(paths.get(2), GitConfigReader.NO_FILE));
            assertThat(third.get(paths.get(2))).isInstanceOf(GitConfigReader.FileAt.Found.class);
        }
    }
}
