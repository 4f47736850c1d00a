package dev.kastor.steps.image;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything one image build needs, as data: base, layers in order, container configuration, platforms and where
 * the result goes. Built with {@link #builder()}; {@link ImageBuilder} turns it into an image.
 *
 * @param entrypoint {@code null} keeps the base's (or the Java app's default); an empty list clears it
 * @param cmd {@code null} keeps the base's; an empty list clears it
 * @param creationTime the image's {@code created} time; fixed by default so the same inputs give the same digest
 * @param platforms {@code os/arch} pairs; empty means the base's single platform (linux/amd64 for scratch)
 * @param tags more tags at the target besides the one in {@code target}
 */
public record ImageSpec(
        ImageLocation base,
        JavaApp javaApp,
        List<LayerSpec> layers,
        List<String> entrypoint,
        List<String> cmd,
        Map<String, String> env,
        Map<String, String> labels,
        String user,
        String workdir,
        List<String> exposedPorts,
        List<String> platforms,
        Instant creationTime,
        ImageFormat format,
        ImageLocation target,
        List<String> tags) {

    public enum ImageFormat { oci, docker }

    public ImageSpec {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(target, "target");
        layers = List.copyOf(layers);
        entrypoint = entrypoint == null ? null : List.copyOf(entrypoint);
        cmd = cmd == null ? null : List.copyOf(cmd);
        env = Map.copyOf(env);
        labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        exposedPorts = List.copyOf(exposedPorts);
        platforms = List.copyOf(platforms);
        tags = List.copyOf(tags);
        Objects.requireNonNull(creationTime, "creationTime");
        Objects.requireNonNull(format, "format");
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private ImageLocation base = new ImageLocation.Scratch();
        private JavaApp javaApp;
        private final List<LayerSpec> layers = new ArrayList<>();
        private List<String> entrypoint;
        private List<String> cmd;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final Map<String, String> labels = new LinkedHashMap<>();
        private String user;
        private String workdir;
        private final List<String> exposedPorts = new ArrayList<>();
        private final List<String> platforms = new ArrayList<>();
        private Instant creationTime = Instant.EPOCH;
        private ImageFormat format = ImageFormat.oci;
        private ImageLocation target;
        private final List<String> tags = new ArrayList<>();

        public Builder base(ImageLocation v) { this.base = v; return this; }
        public Builder javaApp(JavaApp v) { this.javaApp = v; return this; }
        public Builder layer(LayerSpec v) { this.layers.add(v); return this; }
        public Builder entrypoint(List<String> v) { this.entrypoint = v; return this; }
        public Builder cmd(List<String> v) { this.cmd = v; return this; }
        public Builder env(String k, String v) { this.env.put(k, v); return this; }
        public Builder label(String k, String v) { this.labels.put(k, v); return this; }
        public Builder user(String v) { this.user = v; return this; }
        public Builder workdir(String v) { this.workdir = v; return this; }
        public Builder expose(String v) { this.exposedPorts.add(v); return this; }
        public Builder platform(String v) { this.platforms.add(v); return this; }
        public Builder creationTime(Instant v) { this.creationTime = v; return this; }
        public Builder format(ImageFormat v) { this.format = v; return this; }
        public Builder target(ImageLocation v) { this.target = v; return this; }
        public Builder tag(String v) { this.tags.add(v); return this; }

        public ImageSpec build() {
            return new ImageSpec(base, javaApp, layers, entrypoint, cmd, env, labels, user, workdir, exposedPorts, platforms,
                    creationTime, format, target, tags);
        }
    }
}
