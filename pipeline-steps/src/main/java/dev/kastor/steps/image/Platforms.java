package dev.kastor.steps.image;

import com.google.cloud.tools.jib.api.buildplan.Platform;
import dev.kastor.oci.UsageException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** {@code --platform os/arch}, checked against the platforms OCI registries know, before anything is pulled or pushed. */
final class Platforms {
    static final Set<String> OS = Set.of("linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris", "illumos", "aix", "plan9");
    static final Set<String> ARCH = Set.of("amd64", "arm64", "arm", "386", "ppc64le", "ppc64", "s390x", "riscv64", "mips64le", "mips64",
            "mipsle", "mips", "loong64", "wasm");

    private Platforms() {}

    static Set<Platform> parse(List<String> texts) {
        var out = new LinkedHashSet<Platform>();
        for (String t : texts) {
            String[] parts = t.split("/");
            if (parts.length < 2 || parts.length > 3 || !OS.contains(parts[0]) || !ARCH.contains(parts[1])) {
                throw new UsageException("unknown platform '" + t + "': expected os/arch such as linux/amd64 or linux/arm64"
                        + " (os one of " + new TreeSet<>(OS) + ", arch one of " + new TreeSet<>(ARCH) + ")");
            }
            if (parts.length == 3) {
                throw new UsageException("platform '" + t + "': variants are not supported by the image builder; give os/arch, e.g. " + parts[0] + "/" + parts[1]);
            }
            out.add(new Platform(parts[1], parts[0]));
        }
        return out;
    }
}
