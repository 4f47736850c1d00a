package dev.kastor.bridge.listener;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The file of a listener on a UNIX socket. Before binding, a file left by a KAS that crashed (nothing accepts on it)
 * is removed; a path another process listens on, a path that is not a socket (a user's file is never deleted) and a
 * missing directory are refused, naming the key. Once bound, the file gets mode 0660: connecting takes write
 * permission, so only KAS's user and group may. Netty removes the file when the listener closes.
 */
final class UnixSocketFile {
    /** The file type bits of {@code st_mode}, and their value for a socket. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private UnixSocketFile() {}

    /** @param key the configuration key naming the path, for errors (e.g. {@code listen.private_api.address}) */
    static UnixDomainSocketAddress prepare(Path path, String key) {
        Path dir = path.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(key + " " + path + ": the directory " + dir + " does not exist; create it (writable by KAS's user)");
        }
        var address = UnixDomainSocketAddress.of(path);
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) return address;
        if (!isSocket(path)) {
            throw new IllegalArgumentException(key + " " + path + " exists and is not a socket: KAS will not replace it; give another path or remove it");
        }
        try (var probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(address);
        } catch (ConnectException e) {
            // Nobody accepts: a KAS that crashed left it behind.
            delete(path, key);
            return address;
        } catch (IOException e) {
            throw new IllegalArgumentException(key + " " + path + ": cannot tell whether another process listens on it (" + e.getMessage() + ")", e);
        }
        throw new IllegalArgumentException(key + " " + path + ": another process listens on this socket (is another KAS running?);"
                + " stop it or give another path");
    }

    /** Restricts a bound socket's file to its owner and group (0660); other addresses are left alone. */
    static void restrict(SocketAddress bound) {
        if (!(bound instanceof UnixDomainSocketAddress unix)) return;
        try {
            Files.setPosixFilePermissions(unix.getPath(), PosixFilePermissions.fromString("rw-rw----"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot set the mode of the socket " + unix.getPath() + " to 0660 (" + e.getMessage() + ")", e);
        }
    }

    private static boolean isSocket(Path path) {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & S_IFMT) == S_IFSOCK;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static void delete(Path path, String key) {
        try {
            Files.delete(path);
        } catch (IOException e) {
            throw new IllegalArgumentException(key + " " + path + ": cannot remove the stale socket left there (" + e.getMessage() + ")", e);
        }
    }
}
