package dev.kastor.oci.flux;

import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.registry.Reference;
import java.nio.file.Path;

/** Where an artifact lives: a registry ({@code oci://host/repo:tag}) or an OCI image layout ({@code oci-layout:DIR:TAG}). */
public sealed interface ArtifactLocation {
    String LAYOUT_SCHEME = "oci-layout:";

    record InRegistry(Reference reference) implements ArtifactLocation {
        @Override
        public String toString() {
            return reference.toString();
        }
    }

    record InLayout(Path directory, String tag) implements ArtifactLocation {
        @Override
        public String toString() {
            return LAYOUT_SCHEME + directory + ":" + tag;
        }
    }

    /** Parses a location; relative layout directories resolve against {@code workDir}. */
    static ArtifactLocation parse(String text, Path workDir) {
        if (text.startsWith(LAYOUT_SCHEME)) {
            String rest = text.substring(LAYOUT_SCHEME.length());
            int colon = rest.lastIndexOf(':');
            if (colon <= 0 || colon == rest.length() - 1) {
                throw new InvalidInputException("'" + text + "' lacks a directory or a tag: write oci-layout:DIR:TAG, for example oci-layout:build/oci:v1");
            }
            String tag = rest.substring(colon + 1);
            if (!tag.matches("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")) {
                throw new InvalidInputException("'" + tag + "' in '" + text + "' is not a valid tag (letters, digits, _ . -, at most 128)");
            }
            return new InLayout(workDir.resolve(rest.substring(0, colon)).normalize(), tag);
        }
        if (text.startsWith("oci://")) {
            return new InRegistry(Reference.parse(text));
        }
        throw new InvalidInputException("'" + text + "' is neither a registry reference (oci://HOST/REPO:TAG) nor an OCI layout (oci-layout:DIR:TAG)");
    }
}
