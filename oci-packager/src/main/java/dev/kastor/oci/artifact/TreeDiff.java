package dev.kastor.oci.artifact;

import dev.kastor.oci.Digest;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * How a local tree differs from an artifact's content layer, file by file (what {@code kastor artifact diff}
 * shows). Files compare by size, owner-execute bit and sha256 of their content, streamed, never held whole in
 * memory. Directories do not count: they follow from the files. Only regular files of the layer are compared.
 *
 * @param added in the local tree, not in the artifact
 * @param removed in the artifact, not in the local tree
 * @param changed in both, with different content or executable bit
 */
public record TreeDiff(List<String> added, List<String> removed, List<String> changed) {
    private static final int BUFFER = 64 * 1024;

    public TreeDiff {
        added = sorted(added);
        removed = sorted(removed);
        changed = sorted(changed);
    }

    public boolean identical() {
        return added.isEmpty() && removed.isEmpty() && changed.isEmpty();
    }

    /**
     * Compares {@code local} (scanned with the same ignore rules as a build would use) with a layer's tar+gzip
     * stream, which is read to its end but not closed.
     */
    public static TreeDiff between(SourceTree local, InputStream layerTarGzip) throws IOException {
        Map<String, FileState> artifact = readLayer(layerTarGzip);
        var added = new ArrayList<String>();
        var changed = new ArrayList<String>();
        byte[] buffer = new byte[BUFFER];
        for (SourceTree.Entry entry : local.entries()) {
            if (entry.type() != SourceTree.Type.FILE) {
                continue;
            }
            FileState theirs = artifact.remove(entry.path());
            if (theirs == null) {
                added.add(entry.path());
            } else if (theirs.size() != entry.size() || theirs.executable() != entry.executable()) {
                changed.add(entry.path()); // no need to read the file
            } else {
                try (InputStream in = entry.content().open()) {
                    if (!hash(in, buffer).equals(theirs.sha256())) {
                        changed.add(entry.path());
                    }
                }
            }
        }
        return new TreeDiff(added, new ArrayList<>(artifact.keySet()), changed);
    }

    private record FileState(long size, boolean executable, Digest sha256) {}

    private static Map<String, FileState> readLayer(InputStream layerTarGzip) throws IOException {
        var files = new HashMap<String, FileState>();
        var tar = new TarArchiveInputStream(new GZIPInputStream(new BufferedInputStream(new NonClosing(layerTarGzip), BUFFER), BUFFER), "UTF-8");
        byte[] buffer = new byte[BUFFER];
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
            if (entry.isDirectory() || entry.isSymbolicLink() || entry.isLink() || !entry.isFile()) {
                continue;
            }
            files.put(normalise(entry.getName()), new FileState(entry.getSize(), (entry.getMode() & 0100) != 0, hash(tar, buffer)));
        }
        return files;
    }

    /** Archives made with {@code tar -C dir .} name entries {@code ./x}; the walker never does. */
    private static String normalise(String name) {
        String n = name;
        while (n.startsWith("./")) {
            n = n.substring(2);
        }
        return n;
    }

    private static Digest hash(InputStream in, byte[] buffer) throws IOException {
        MessageDigest sha256 = Digest.sha256();
        int n;
        while ((n = in.read(buffer)) >= 0) {
            sha256.update(buffer, 0, n);
        }
        return Digest.of(sha256);
    }

    private static List<String> sorted(List<String> paths) {
        return paths.stream().sorted(SourceTree.PATH_ORDER).toList();
    }

    private static final class NonClosing extends FilterInputStream {
        NonClosing(InputStream in) {
            super(in);
        }

        @Override
        public void close() {}
    }
}
