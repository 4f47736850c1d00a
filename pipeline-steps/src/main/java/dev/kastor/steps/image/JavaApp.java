package dev.kastor.steps.image;

import dev.kastor.oci.Causes;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.UsageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;

/**
 * The Java application shortcut: {@code --jar app.jar} or {@code --classpath} entries, split into layers the way
 * jib does, so that a code change re-uploads only the small top layer: dependencies, snapshot dependencies,
 * resources, then classes (or the jar).
 *
 * @param jar the application jar ({@code java -jar}), or {@code null}
 * @param classpath directories (classes and resources) and jars (dependencies), when there is no {@code jar}
 * @param mainClass main class for a classpath app; {@code null} for a jar (its manifest names it)
 * @param jvmFlags flags before {@code -jar}/{@code -cp} in the default entrypoint
 * @param appRoot where the app goes in the image, {@code /app} by default
 */
public record JavaApp(Path jar, List<Path> classpath, String mainClass, List<String> jvmFlags, String appRoot) {
    public static final String DEFAULT_APP_ROOT = "/app";

    public JavaApp {
        classpath = List.copyOf(classpath);
        jvmFlags = List.copyOf(jvmFlags);
        if (jar == null && classpath.isEmpty()) throw new UsageException("a Java app needs --jar FILE or --classpath PATH");
        if (jar != null && !classpath.isEmpty()) throw new UsageException("--jar and --classpath do not go together: pick one");
        if (jar == null && (mainClass == null || mainClass.isBlank())) {
            throw new UsageException("--classpath needs --main-class (the class with main), e.g. --main-class com.example.App");
        }
    }

    public static JavaApp ofJar(Path jar, List<String> jvmFlags) {
        return new JavaApp(jar, List.of(), null, jvmFlags, DEFAULT_APP_ROOT);
    }

    /** Layers in jib's order, each a name and its entries (file on disk, path in the image). */
    List<NamedLayer> layers() {
        var deps = new ArrayList<Entry>();
        var snapshots = new ArrayList<Entry>();
        var resources = new ArrayList<Entry>();
        var classes = new ArrayList<Entry>();
        if (jar != null) {
            requireFile(jar, "--jar");
            for (String rel : manifestClassPath(jar)) {
                Path dep = jar.getParent().resolve(rel).normalize();
                requireFile(dep, "Class-Path entry of " + jar.getFileName());
                (isSnapshot(dep) ? snapshots : deps).add(new Entry(dep, appRoot + "/" + rel));
            }
            classes.add(new Entry(jar, appRoot + "/" + jar.getFileName()));
        } else {
            for (Path p : classpath) {
                if (Files.isDirectory(p)) {
                    for (Path f : files(p)) {
                        String rel = p.relativize(f).toString().replace('\\', '/');
                        if (rel.endsWith(".class")) classes.add(new Entry(f, appRoot + "/classes/" + rel));
                        else resources.add(new Entry(f, appRoot + "/resources/" + rel));
                    }
                } else {
                    requireFile(p, "--classpath");
                    (isSnapshot(p) ? snapshots : deps).add(new Entry(p, appRoot + "/libs/" + p.getFileName()));
                }
            }
        }
        var out = new ArrayList<NamedLayer>();
        if (!deps.isEmpty()) out.add(new NamedLayer("dependencies", deps));
        if (!snapshots.isEmpty()) out.add(new NamedLayer("snapshot dependencies", snapshots));
        if (!resources.isEmpty()) out.add(new NamedLayer("resources", resources));
        if (!classes.isEmpty()) out.add(new NamedLayer(jar != null ? "jar" : "classes", classes));
        return out;
    }

    /** The default entrypoint: {@code java [flags] -jar /app/app.jar} or {@code java [flags] -cp ... Main}. */
    List<String> entrypoint() {
        var cmd = new ArrayList<String>();
        cmd.add("java");
        cmd.addAll(jvmFlags);
        if (jar != null) {
            cmd.add("-jar");
            cmd.add(appRoot + "/" + jar.getFileName());
        } else {
            cmd.add("-cp");
            cmd.add(appRoot + "/resources:" + appRoot + "/classes:" + appRoot + "/libs/*");
            cmd.add(mainClass);
        }
        return cmd;
    }

    record Entry(Path source, String path) {}

    record NamedLayer(String name, List<Entry> entries) {}

    private static boolean isSnapshot(Path jar) {
        return jar.getFileName().toString().contains("-SNAPSHOT");
    }

    private static void requireFile(Path p, String what) {
        if (!Files.isRegularFile(p)) throw new InvalidInputException(what + " " + p + ": no such file");
    }

    private static List<String> manifestClassPath(Path jar) {
        try (var jf = new JarFile(jar.toFile())) {
            var manifest = jf.getManifest();
            String cp = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
            if (cp == null || cp.isBlank()) return List.of();
            return List.of(cp.trim().split("\\s+"));
        } catch (IOException e) {
            throw new InvalidInputException("--jar " + jar + " is not a readable jar: " + Causes.describe(e), e);
        }
    }

    private static List<Path> files(Path dir) {
        try (var walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
