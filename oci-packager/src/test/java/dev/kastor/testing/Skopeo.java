package dev.kastor.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** skopeo, the independent OCI client: proves that what Kastor pushed is readable by someone else's code. */
public final class Skopeo {
    private Skopeo() {}

    /** {@code skopeo inspect --raw} of {@code host/repo:tag} over plain HTTP; {@code creds} is {@code user:pass} or null. */
    public static String inspectRaw(String hostRepoTag, String creds) {
        var cmd = base("inspect", "--raw", "--tls-verify=false");
        if (creds != null) {
            cmd.add("--creds");
            cmd.add(creds);
        }
        cmd.add("docker://" + hostRepoTag);
        return run(cmd);
    }

    /** {@code skopeo inspect --config} of {@code host/repo:tag} over plain HTTP: the image's configuration JSON. */
    public static String inspectConfig(String hostRepoTag, String creds) {
        var cmd = base("inspect", "--config", "--tls-verify=false");
        if (creds != null) {
            cmd.add("--creds");
            cmd.add(creds);
        }
        cmd.add("docker://" + hostRepoTag);
        return run(cmd);
    }

    /** {@code skopeo inspect --raw} of an image in an OCI layout directory ({@code oci:<dir>:<tag>}). */
    public static String inspectRawOciLayout(Path layoutDir, String tag) {
        return run(base("inspect", "--raw", "oci:" + layoutDir + ":" + tag));
    }

    /** {@code skopeo copy docker://host/repo:tag oci:<dir>:<tag>} over plain HTTP. */
    public static String copyToOciLayout(String hostRepoTag, Path layoutDir, String tag, String creds) {
        var cmd = base("--insecure-policy", "copy", "--src-tls-verify=false");
        if (creds != null) {
            cmd.add("--src-creds");
            cmd.add(creds);
        }
        cmd.add("docker://" + hostRepoTag);
        cmd.add("oci:" + layoutDir + ":" + tag);
        return run(cmd);
    }

    /** {@code skopeo copy oci:<dir>:<tag> docker://host/repo:tag} over plain HTTP: a push by someone else's client. */
    public static String copyFromOciLayout(Path layoutDir, String tag, String hostRepoTag) {
        return run(base("--insecure-policy", "copy", "--dest-tls-verify=false", "oci:" + layoutDir + ":" + tag, "docker://" + hostRepoTag));
    }

    private static List<String> base(String... args) {
        var cmd = new ArrayList<String>();
        cmd.add(Programs.require("skopeo", "skopeo").toString());
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static String run(List<String> cmd) {
        Programs.Result r = Programs.run(cmd, 120);
        if (r.exit() != 0) {
            // Credentials may be on the command line: show the subcommand, not the arguments.
            throw new IllegalStateException("skopeo " + cmd.get(1) + " " + cmd.get(cmd.size() - 1) + " failed (exit " + r.exit() + "):\n" + r.stderr());
        }
        return r.stdout();
    }
}
