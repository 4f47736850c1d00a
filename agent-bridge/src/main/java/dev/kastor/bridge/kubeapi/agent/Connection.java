package dev.kastor.bridge.kubeapi.agent;

import dev.kastor.bridge.tunnel.TunnelDefaults;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * One connection to the API server, plain or TLS, with its buffered streams. {@code pooled}: it carried a request
 * before and waited in the pool since {@code idleSince} (the API server may have closed it meanwhile).
 */
record Connection(Socket socket, InputStream in, OutputStream out, boolean pooled, long idleSince) {
    /** A connection that carried no request yet, over a connected socket. */
    static Connection over(Socket socket) throws IOException {
        return new Connection(socket, new BufferedInputStream(socket.getInputStream(), TunnelDefaults.CHUNK),
                new BufferedOutputStream(socket.getOutputStream(), 16 * 1024), false, 0);
    }

    /** The same connection, idle in the pool from now on. */
    Connection idleFromNow() {
        return new Connection(socket, in, out, true, System.nanoTime());
    }

    long idleNanos() {
        return System.nanoTime() - idleSince;
    }

    void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
