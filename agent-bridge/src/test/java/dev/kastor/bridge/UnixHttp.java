package dev.kastor.bridge;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * One HTTP/1.1 request over a UNIX socket, for KAS's HTTP listeners bound to one (the JDK's HttpClient cannot dial a
 * UNIX socket, nor can kubectl): the answer as the server wrote it, head and body, read to the end of the connection.
 */
public final class UnixHttp {
    private UnixHttp() {}

    /** A {@code GET} of {@code path} with {@code headers}; {@code Connection: close}, so the answer ends the stream. */
    public static String get(Path socket, String path, Map<String, String> headers) throws IOException {
        var request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
        request.append("\r\n");
        try (var ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(request.toString().getBytes(StandardCharsets.US_ASCII)));
            var answer = new ByteArrayOutputStream();
            var buf = ByteBuffer.allocate(8192);
            while (ch.read(buf) >= 0) {
                answer.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            return answer.toString(StandardCharsets.UTF_8);
        }
    }
}
