package dev.kastor.bridge.config.server;

import dev.kastor.bridge.agents.Hashes;
import dev.kastor.bridge.config.ConfigDefaults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.PathFilterGroup;

/**
 * Reads agent config files from config projects over HTTP(S) with JGit, as cheaply as it can: {@code ls-remote}
 * first (one round trip that says whether the branch moved), then a depth-1 fetch of only the new commit into a
 * bare repository per project under the cache directory, then the files straight from the object database.
 */
final class GitConfigReader {
    /** A branch tip. */
    record Head(String branch, ObjectId commit) {}

    /** One file at a commit: its bytes, or why there are none. */
    sealed interface FileAt {
        /** The file's content; {@code blob} its object id. */
        record Found(byte[] bytes, String blob) implements FileAt {}

        record Missing() implements FileAt {}

        record TooBig(long size, String blob) implements FileAt {}

        /** The same blob as the caller last read at this path, or still no file where there was none: not read again. */
        record Unchanged() implements FileAt {}
    }

    /** The blob a caller knows for a path that had no file ({@link FileAt.Missing}). */
    static final String NO_FILE = "";

    private final Path cacheDir;
    private final GitRemote remote;

    GitConfigReader(Path cacheDir, GitRemote remote) {
        this.cacheDir = cacheDir;
        this.remote = remote;
    }

    /** Where the config projects are, and how KAS logs in. */
    GitRemote remote() {
        return remote;
    }

    /** The tip of {@code branch}, or of the remote's default branch (what HEAD points at) when null. */
    Head head(String url, String branch) throws GitRemote.GitFailure {
        Map<String, Ref> refs = remote.refs(url);
        if (branch != null) {
            Ref r = refs.get(Constants.R_HEADS + branch);
            if (r == null) throw new GitRemote.GitFailure("branch " + branch + " does not exist in " + scrub(url) + " (agent_configuration.branch)");
            return new Head(branch, r.getObjectId());
        }
        Ref head = refs.get(Constants.HEAD);
        if (head == null || head.getObjectId() == null) throw new GitRemote.GitFailure(scrub(url) + " has no default branch (HEAD): is the repository empty?");
        if (head.isSymbolic()) {
            return new Head(Repository.shortenRefName(head.getTarget().getName()), head.getObjectId());
        }
        // Servers that do not advertise the HEAD symref: the branch HEAD points at is the one at the same commit.
        for (String name : new String[] {"main", "master"}) {
            Ref r = refs.get(Constants.R_HEADS + name);
            if (r != null && head.getObjectId().equals(r.getObjectId())) return new Head(name, r.getObjectId());
        }
        for (Ref r : refs.values()) {
            if (r.getName().startsWith(Constants.R_HEADS) && head.getObjectId().equals(r.getObjectId())) {
                return new Head(Repository.shortenRefName(r.getName()), r.getObjectId());
            }
        }
        throw new GitRemote.GitFailure("cannot tell which branch HEAD of " + scrub(url) + " is: set agent_configuration.branch");
    }

    /**
     * The files at {@code head.commit}, fetching that commit first when the cache does not hold it. A path whose blob
     * is {@code known} ({@link #NO_FILE} for one that had none) gives {@link FileAt.Unchanged}: a commit that changes one
     * agent's file among thousands costs one read, not thousands.
     */
    Map<String, FileAt> read(String url, Head head, Collection<String> paths, Map<String, String> known) throws GitRemote.GitFailure {
        Path dir = cacheDir.resolve(Hashes.sha256(url).substring(0, 24) + ".git");
        try (Repository repo = new FileRepository(dir.toFile())) {
            if (!Files.exists(dir.resolve("objects"))) repo.create(true);
            if (!repo.getObjectDatabase().has(head.commit())) fetch(repo, url, head);
            var out = new LinkedHashMap<String, FileAt>();
            for (String path : paths) out.put(path, new FileAt.Missing());
            if (paths.isEmpty()) return out;
            // One walk of the tree for every path: a project with thousands of agents' files is read in one pass, where
            // a walk per path would go through the agents' directory once per agent.
            try (RevWalk walk = new RevWalk(repo); TreeWalk tw = new TreeWalk(repo)) {
                tw.addTree(walk.parseCommit(head.commit()).getTree());
                tw.setRecursive(true);
                tw.setFilter(PathFilterGroup.createFromStrings(paths));
                while (tw.next()) {
                    String path = tw.getPathString();
                    if (!out.containsKey(path) || (tw.getRawMode(0) & FileMode.TYPE_MASK) != FileMode.TYPE_FILE) continue;
                    String blob = tw.getObjectId(0).name();
                    if (blob.equals(known.get(path))) {
                        out.put(path, new FileAt.Unchanged());
                        continue;
                    }
                    var loader = repo.open(tw.getObjectId(0));
                    // The size comes from the object header: a huge file is refused before it is read.
                    if (loader.getSize() > ConfigDefaults.MAX_FILE_BYTES) out.put(path, new FileAt.TooBig(loader.getSize(), blob));
                    else out.put(path, new FileAt.Found(loader.getBytes(), blob));
                }
            }
            // still no file where there was none: an agent without a config file is not looked at (nor warned about) again
            out.replaceAll((path, file) -> file instanceof FileAt.Missing && NO_FILE.equals(known.get(path)) ? new FileAt.Unchanged() : file);
            return out;
        } catch (IOException e) {
            throw remote.failure("cannot read " + paths + " at " + head.commit().name() + " of " + scrub(url), e);
        }
    }

    private void fetch(Repository repo, String url, Head head) throws GitRemote.GitFailure {
        try (Git git = new Git(repo)) {
            git.fetch().setRemote(url).setCredentialsProvider(remote.credentials()).setTimeout(60).setTagOpt(TagOpt.NO_TAGS)
                    .setRefSpecs(new RefSpec("+" + Constants.R_HEADS + head.branch() + ":refs/kastor/" + head.branch()))
                    .setDepth(1)
                    .call();
        } catch (GitAPIException | RuntimeException e) {
            throw remote.failure("cannot fetch " + head.branch() + " of " + scrub(url), e);
        }
        try {
            if (!repo.getObjectDatabase().has(head.commit())) {
                throw new GitRemote.GitFailure("fetched " + head.branch() + " of " + scrub(url) + " but commit " + head.commit().name()
                        + " is not there (the branch moved meanwhile; the next poll catches up)");
            }
        } catch (IOException e) {
            throw remote.failure("cannot read the cache of " + scrub(url), e);
        }
    }

    /** Drops credentials from a message (for the config feature's logs). */
    String scrub(String text) {
        return remote.scrub(text);
    }
}
