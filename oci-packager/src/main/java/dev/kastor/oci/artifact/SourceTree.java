package dev.kastor.oci.artifact;

import dev.kastor.oci.Causes;
import dev.kastor.oci.InvalidInputException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What goes into an artifact: the files and directories of a source, after ignore rules, in the order they are
 * packaged.
 *
 * <p>Order is by relative path compared code point by code point, which is UTF-8 byte order, so it never
 * depends on the file system's listing order or the JVM's locale. Directories are entries of their own only
 * when they hold at least one packaged file (directly or deeper): empty directories are dropped, because Git
 * does not keep them either, so a tree packaged from a fresh clone and the same tree on a runner that created
 * empty build directories give the same digest. The root itself is not an entry.
 */
public final class SourceTree {
    /** Code point order equals UTF-8 byte order; String.compareTo (UTF-16 units) differs above U+FFFF. */
    static final Comparator<String> PATH_ORDER = (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    };

    private final String description;
    private final String ignoreSummary;
    private final List<Entry> entries;

    private SourceTree(String description, String ignoreSummary, List<Entry> entries) {
        this.description = description;
        this.ignoreSummary = ignoreSummary;
        this.entries = List.copyOf(entries);
    }

    /** Starts describing a walk of {@code source}, a directory or a single file. */
    public static Scanner scanner(Path source) {
        return new Scanner(source);
    }

    /** Bytes read from stdin ({@code --path -}), packaged as one file called {@code name}. */
    public static SourceTree ofStdin(String name, byte[] content) {
        Objects.requireNonNull(content, "content");
        if (name == null || name.isBlank() || name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")) {
            throw new InvalidInputException("'" + name + "' cannot name the file read from stdin: give a plain file name such as manifests.yaml");
        }
        var entry = new Entry(name, Type.FILE, false, content.length, new BytesContent(content.clone()));
        return new SourceTree("stdin", "none", List.of(entry));
    }

    /** Entries in packaging order. */
    public List<Entry> entries() {
        return entries;
    }

    public int fileCount() {
        return (int) entries.stream().filter(e -> e.type() == Type.FILE).count();
    }

    /** Sum of file sizes. */
    public long contentBytes() {
        return entries.stream().mapToLong(Entry::size).sum();
    }

    /** The ignore rules that applied, for messages. */
    String ignoreSummary() {
        return ignoreSummary;
    }

    /**
     * This tree without the file at {@code file} (compared by real path), and without directories left empty.
     * Keeps a previous build's output, written inside the tree, out of the next build.
     */
    SourceTree without(Path file) {
        Path real;
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            return this; // does not exist: nothing to leave out
        }
        Set<String> kept = new HashSet<>();
        Set<String> nonEmptyDirectories = new HashSet<>();
        for (Entry e : entries) {
            // Walked files are held by their real path (the walk starts at the root's real path), so equals is enough.
            if (e.type() == Type.FILE && !real.equals(e.file())) {
                kept.add(e.path());
                for (int slash = e.path().lastIndexOf('/'); slash > 0; slash = e.path().lastIndexOf('/', slash - 1)) {
                    nonEmptyDirectories.add(e.path().substring(0, slash));
                }
            }
        }
        if (kept.size() == fileCount()) {
            return this;
        }
        List<Entry> result = entries.stream()
                .filter(e -> e.type() == Type.FILE ? kept.contains(e.path()) : nonEmptyDirectories.contains(e.path()))
                .toList();
        return new SourceTree(description, ignoreSummary, result);
    }

    /** The source as a user would recognise it in a message: its path, or "stdin". */
    public String description() {
        return description;
    }

    public enum Type {
        DIRECTORY,
        FILE
    }

    /**
     * One packaged entry.
     *
     * @param path relative, {@code /}-separated, no leading {@code ./}, no trailing {@code /}
     * @param executable the owner-execute bit of the file (false for directories and without POSIX permissions)
     * @param size content length in bytes, 0 for directories
     * @param content where to read a file's bytes; null for directories
     */
    public record Entry(String path, Type type, boolean executable, long size, Content content) {
        public Entry {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(type, "type");
            if (type == Type.FILE) {
                Objects.requireNonNull(content, "content of a file");
            }
        }

        static Entry directory(String path) {
            return new Entry(path, Type.DIRECTORY, false, 0, null);
        }

        /** The file to read, or null for a directory or in-memory content. */
        public Path file() {
            return content instanceof FileContent(Path file) ? file : null;
        }
    }

    /** Where a file's bytes come from. */
    public sealed interface Content permits FileContent, BytesContent {
        InputStream open() throws IOException;
    }

    /** Bytes of a file on disk (for a resolved symlink: the target's real path). */
    public record FileContent(Path file) implements Content {
        @Override
        public InputStream open() throws IOException {
            return Files.newInputStream(file);
        }
    }

    /** Bytes held in memory, such as stdin. */
    public record BytesContent(byte[] bytes) implements Content {
        @Override
        public InputStream open() {
            return new ByteArrayInputStream(bytes);
        }
    }

    /** Options of a walk; {@link #scan()} does it. */
    public static final class Scanner {
        private final Path source;
        private IgnoreRules ignoreRules = IgnoreRules.fluxDefaults();
        private boolean resolveSymlinks;
        private Consumer<String> warnings = w -> {};

        private Scanner(Path source) {
            this.source = Objects.requireNonNull(source, "source");
        }

        public Scanner ignoreRules(IgnoreRules rules) {
            this.ignoreRules = Objects.requireNonNull(rules, "rules");
            return this;
        }

        /** Follow symlinks that stay inside the source instead of skipping them with a warning. */
        public Scanner resolveSymlinks(boolean resolve) {
            this.resolveSymlinks = resolve;
            return this;
        }

        /** Where skipped symlinks and special files are reported, one line each. */
        public Scanner warnings(Consumer<String> warnings) {
            this.warnings = Objects.requireNonNull(warnings, "warnings");
            return this;
        }

        /** Walks the source. Fails before anything is written when a file cannot be read or a link escapes. */
        public SourceTree scan() {
            try {
                return new Walk(source, ignoreRules, resolveSymlinks, warnings).run();
            } catch (IOException e) {
                throw new InvalidInputException("cannot read " + source + ": " + Causes.describe(e), e);
            } catch (UncheckedIOException e) {
                throw new InvalidInputException("cannot read " + source + ": " + Causes.describe(e.getCause()), e);
            }
        }
    }

    /** One walk; holds the state that only lives while walking. */
    private static final class Walk {
        private final Path source;
        private final IgnoreRules rules;
        private final boolean resolveSymlinks;
        private final Consumer<String> warnings;
        private final List<Entry> entries = new ArrayList<>();
        private Path rootReal;
        /** Real paths of the directories being walked, to stop a symlink that leads back into one of them. */
        private final Set<Path> walking = new HashSet<>();

        Walk(Path source, IgnoreRules rules, boolean resolveSymlinks, Consumer<String> warnings) {
            this.source = source.toAbsolutePath().normalize();
            this.rules = rules;
            this.resolveSymlinks = resolveSymlinks;
            this.warnings = warnings;
        }

        SourceTree run() throws IOException {
            if (!Files.exists(source)) {
                throw new InvalidInputException(source + " does not exist: check the path and the job's working directory");
            }
            rootReal = source.toRealPath();
            BasicFileAttributes attributes = attributes(rootReal, true);
            if (attributes.isRegularFile()) {
                // A single file is packaged under its own name; ignore rules are for trees, not for a file named explicitly.
                requireReadable(rootReal, source.getFileName().toString());
                entries.add(new Entry(source.getFileName().toString(), Type.FILE, isExecutable(attributes), attributes.size(), new FileContent(rootReal)));
                return new SourceTree(source.toString(), "none", entries);
            }
            if (!attributes.isDirectory()) {
                throw new InvalidInputException(source + " is neither a regular file nor a directory: package a directory or a file");
            }
            walkDirectory(rootReal, "", rules.rootScope());
            entries.sort(Comparator.comparing(Entry::path, PATH_ORDER));
            return new SourceTree(source.toString(), rules + " and any " + IgnoreRules.SOURCE_IGNORE_FILE + " files", entries);
        }

        /** Returns whether anything was packaged below {@code dir}, so the caller knows whether to add the directory. */
        private boolean walkDirectory(Path dir, String relative, IgnoreRules.Scope parentScope) throws IOException {
            walking.add(dir);
            try {
                IgnoreRules.Scope scope = parentScope.enter(relative, readSourceIgnore(dir, relative));
                boolean packagedAny = false;
                for (String name : list(dir, relative)) {
                    Path child = dir.resolve(name);
                    String path = relative.isEmpty() ? name : relative + "/" + name;
                    packagedAny |= visit(child, path, scope);
                }
                return packagedAny;
            } finally {
                walking.remove(dir);
            }
        }

        private boolean visit(Path child, String path, IgnoreRules.Scope scope) throws IOException {
            BasicFileAttributes attributes = attributes(child, false);
            if (attributes.isSymbolicLink()) {
                return visitSymlink(child, path, scope);
            }
            if (attributes.isDirectory()) {
                return scope.ignores(path, true) ? false : visitDirectory(child, path, scope);
            }
            if (scope.ignores(path, false)) {
                return false;
            }
            if (attributes.isRegularFile()) {
                requireReadable(child, path);
                entries.add(new Entry(path, Type.FILE, isExecutable(attributes), attributes.size(), new FileContent(child)));
                return true;
            }
            warnings.accept("skipping special file " + path + " (a fifo, socket or device): only regular files and directories are packaged");
            return false;
        }

        private boolean visitDirectory(Path dir, String path, IgnoreRules.Scope scope) throws IOException {
            boolean packagedAny = walkDirectory(dir, path, scope);
            if (packagedAny) {
                entries.add(Entry.directory(path));
            }
            return packagedAny;
        }

        private boolean visitSymlink(Path link, String path, IgnoreRules.Scope scope) throws IOException {
            String target = Files.readSymbolicLink(link).toString();
            boolean pointsToDirectory = Files.isDirectory(link);
            if (scope.ignores(path, pointsToDirectory)) {
                return false;
            }
            if (!resolveSymlinks) {
                warnings.accept("skipping symlink " + path + " -> " + target + " (pass --resolve-symlinks to follow it)");
                return false;
            }
            Path real;
            try {
                real = link.toRealPath();
            } catch (NoSuchFileException e) {
                throw new InvalidInputException("symlink " + path + " -> " + target + " is broken: its target does not exist; fix or remove the link");
            }
            if (!real.startsWith(rootReal)) {
                throw new InvalidInputException("symlink " + path + " -> " + target + " points outside " + source
                        + ": remove it, or package without --resolve-symlinks");
            }
            BasicFileAttributes attributes = attributes(real, true);
            if (attributes.isDirectory()) {
                if (walking.contains(real)) {
                    warnings.accept("skipping symlink " + path + " -> " + target + ": it leads back into a directory being packaged (a cycle)");
                    return false;
                }
                return visitDirectory(real, path, scope);
            }
            if (attributes.isRegularFile()) {
                requireReadable(real, path);
                entries.add(new Entry(path, Type.FILE, isExecutable(attributes), attributes.size(), new FileContent(real)));
                return true;
            }
            warnings.accept("skipping symlink " + path + " -> " + target + ": it points to a special file (a fifo, socket or device)");
            return false;
        }

        private List<String> list(Path dir, String relative) throws IOException {
            var names = new ArrayList<String>();
            try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
                for (Path child : children) {
                    names.add(child.getFileName().toString());
                }
            } catch (AccessDeniedException e) {
                throw new InvalidInputException("cannot read directory " + display(relative) + " in " + source
                        + ": permission denied; make it readable (chmod u+rx) or ignore it in .sourceignore");
            }
            // Sorted so that warnings come in a stable order; the entries are sorted again as whole paths.
            names.sort(PATH_ORDER);
            return names;
        }

        private String readSourceIgnore(Path dir, String relative) throws IOException {
            Path file = dir.resolve(IgnoreRules.SOURCE_IGNORE_FILE);
            if (!Files.isRegularFile(file)) {
                return null;
            }
            try {
                return Files.readString(file, StandardCharsets.UTF_8);
            } catch (AccessDeniedException e) {
                String path = relative.isEmpty() ? IgnoreRules.SOURCE_IGNORE_FILE : relative + "/" + IgnoreRules.SOURCE_IGNORE_FILE;
                throw new InvalidInputException("cannot read " + path + " in " + source + ": permission denied; make it readable");
            }
        }

        private void requireReadable(Path file, String path) {
            if (!Files.isReadable(file)) {
                throw new InvalidInputException("cannot read " + path + " in " + source
                        + ": permission denied; make it readable (chmod u+r) or ignore it with --add-ignore-paths or .sourceignore");
            }
        }

        private static String display(String relative) {
            return relative.isEmpty() ? "." : relative;
        }

        private static BasicFileAttributes attributes(Path path, boolean follow) throws IOException {
            LinkOption[] options = follow ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
            try {
                return Files.readAttributes(path, PosixFileAttributes.class, options);
            } catch (UnsupportedOperationException e) {
                return Files.readAttributes(path, BasicFileAttributes.class, options);
            }
        }

        private static boolean isExecutable(BasicFileAttributes attributes) {
            return attributes instanceof PosixFileAttributes posix && posix.permissions().contains(PosixFilePermission.OWNER_EXECUTE);
        }
    }
}
