package dev.kastor.oci.artifact;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/** Test helpers: make real trees on disk and read layers back. */
final class Trees {
    private Trees() {}

    static Path write(Path root, String relative, String content) {
        try {
            Path file = root.resolve(relative);
            Files.createDirectories(file.getParent());
            return Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void chmod(Path path, String permissions) {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void touch(Path path, long millis) {
        try {
            Files.setLastModifiedTime(path, FileTime.fromMillis(millis));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Header and content of every entry of a tar+gzip, in archive order. */
    static List<Read> read(Path tgz) throws IOException {
        var result = new ArrayList<Read>();
        try (var tar = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(tgz)))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                result.add(new Read(e, new String(tar.readAllBytes(), StandardCharsets.UTF_8)));
            }
        }
        return result;
    }

    static List<String> names(Path tgz) throws IOException {
        return read(tgz).stream().map(r -> r.entry().getName()).toList();
    }

    static Map<String, String> files(Path tgz) throws IOException {
        var map = new TreeMap<String, String>();
        for (Read r : read(tgz)) {
            if (!r.entry().isDirectory()) {
                map.put(r.entry().getName(), r.content());
            }
        }
        return map;
    }

    record Read(TarArchiveEntry entry, String content) {}
}
