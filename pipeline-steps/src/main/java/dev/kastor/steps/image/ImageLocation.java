package dev.kastor.steps.image;

import dev.kastor.oci.UsageException;
import java.nio.file.Path;

/**
 * Where an image comes from ({@code --from}) or goes to ({@code --to}): a registry ({@code host/repo:tag}), an OCI
 * image layout directory ({@code oci-layout:DIR[:TAG]}, the form {@code kastor artifact} uses), an image tar
 * ({@code tar:FILE}), or, as a base only, {@code scratch}.
 */
public sealed interface ImageLocation {
    String OCI_LAYOUT = "oci-layout:";
    String TAR = "tar:";

    record InRegistry(ImageRef ref) implements ImageLocation {
        @Override
        public String toString() {
            return ref.toString();
        }
    }

    record OciLayoutDir(Path dir, String tag) implements ImageLocation {
        @Override
        public String toString() {
            return OCI_LAYOUT + dir + (tag == null ? "" : ":" + tag);
        }
    }

    record TarFile(Path file) implements ImageLocation {
        @Override
        public String toString() {
            return TAR + file;
        }
    }

    record Scratch() implements ImageLocation {
        @Override
        public String toString() {
            return "scratch";
        }
    }

    /** Parses a location; relative paths are resolved against {@code workDir}. */
    static ImageLocation parse(String text, Path workDir, boolean asBase) {
        if (text == null || text.isBlank()) throw new UsageException("empty image location");
        if (text.equals("scratch")) {
            if (!asBase) throw new UsageException("'scratch' is a base image, not a target: give --to host/repo:tag, oci-layout:DIR:TAG or tar:FILE");
            return new Scratch();
        }
        if (text.startsWith(OCI_LAYOUT)) {
            String rest = text.substring(OCI_LAYOUT.length());
            String tag = null;
            int colon = rest.lastIndexOf(':');
            if (colon >= 0) {
                tag = rest.substring(colon + 1);
                rest = rest.substring(0, colon);
            }
            if (rest.isEmpty()) throw new UsageException("'" + text + "' names no directory: expected oci-layout:DIR[:TAG], e.g. oci-layout:build/oci:app");
            if (tag != null && !tag.matches("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")) {
                throw new UsageException("'" + tag + "' in '" + text + "' is not a valid tag: letters, digits, '_', '.' and '-', up to 128");
            }
            return new OciLayoutDir(workDir.resolve(rest).normalize(), tag);
        }
        if (text.startsWith(TAR)) {
            String file = text.substring(TAR.length());
            if (file.isEmpty()) throw new UsageException("'" + text + "' names no file: expected tar:FILE, e.g. tar:build/app.tar");
            return new TarFile(workDir.resolve(file).normalize());
        }
        return new InRegistry(ImageRef.parse(text));
    }
}
