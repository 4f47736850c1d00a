package dev.kastor.bridge;

import dev.kastor.testing.Eventually;
import dev.kastor.testing.Programs;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real {@code redis-server} (TESTING.md) on 127.0.0.1 and a free port, without persistence, ready when PING
 * answers. {@link #stop} and {@link #start} again keep the port, so a test can take Redis away and bring it back.
 * {@link #command} speaks RESP directly, to look at what KAS wrote without going through KAS's own client.
 */
public final class RedisServer implements AutoCloseable {
    private final int port = Programs.freePort();
    private final Path log;
    private Process process;

    private RedisServer() throws IOException {
        log = Files.createTempFile("kastor-redis", ".log");
    }

    public static RedisServer start() throws Exception {
        var r = new RedisServer();
        r.startAgain();
        return r;
    }

    public synchronized void startAgain() throws Exception {
        if (process != null && process.isAlive()) return;
        Path binary = Programs.require("redis-server", "redis-server");
        process = new ProcessBuilder(binary.toString(), "--bind", "127.0.0.1", "--port", Integer.toString(port), "--save", "",
                "--appendonly", "no").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Eventually.until(Duration.ofSeconds(20), () -> "redis-server answers PING; its log:\n" + readLog(), () -> {
            try {
                return "PONG".equals(command("PING"));
            } catch (IOException notYet) {
                if (!process.isAlive()) throw new IllegalStateException("redis-server exited at start:\n" + readLog());
                return false;
            }
        });
    }

    private String readLog() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Sends one command and returns the reply: String, Long, List, or null; an error reply throws. */
    public Object command(String... args) throws IOException {
        try (var socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            var sb = new StringBuilder("*").append(args.length).append("\r\n");
            for (String a : args) sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return reply(new BufferedInputStream(socket.getInputStream()));
        }
    }

    private static Object reply(InputStream in) throws IOException {
        int type = in.read();
        String line = line(in);
        return switch (type) {
            case '+' -> line;
            case '-' -> throw new IOException("redis error: " + line);
            case ':' -> Long.parseLong(line);
            case '$' -> {
                int n = Integer.parseInt(line);
                if (n < 0) yield null;
                byte[] b = in.readNBytes(n);
                line(in);
                yield new String(b, StandardCharsets.UTF_8);
            }
            case '*' -> {
                int n = Integer.parseInt(line);
                if (n < 0) yield null;
                var items = new ArrayList<Object>();
                for (int i = 0; i < n; i++) items.add(reply(in));
                yield items;
            }
            default -> throw new IOException("unexpected redis reply type " + type);
        };
    }

    private static String line(InputStream in) throws IOException {
        var sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) throw new IOException("redis closed the connection");
            sb.append((char) c);
        }
        in.read(); // \n
        return sb.toString();
    }

    /** The fields of a hash (field, value, field, value, ...). */
    @SuppressWarnings("unchecked")
    public List<String> hgetall(String key) throws IOException {
        return (List<String>) command("HGETALL", key);
    }

    /** Stops the server (the port stays reserved for {@link #startAgain}). */
    public synchronized void stop() throws InterruptedException {
        if (process == null) return;
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        process = null;
    }

    @Override
    public void close() throws Exception {
        stop();
        Files.deleteIfExists(log);
    }
}
