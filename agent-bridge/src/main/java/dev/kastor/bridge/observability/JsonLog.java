package dev.kastor.bridge.observability;

import java.io.PrintStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/** One JSON object per line on stderr, with a correlation id per request. Callers never pass tokens. */
public final class JsonLog {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final PrintStream out;
    private final String component;
    private volatile boolean debug;

    public JsonLog(PrintStream out, String component) {
        this.out = out;
        this.component = component;
    }

    public static JsonLog quiet() {
        return new JsonLog(new PrintStream(PrintStream.nullOutputStream()), "quiet");
    }

    public void setDebug(boolean debug) {
        this.debug = debug;
    }

    public boolean debug() {
        return debug;
    }

    public void info(String msg, String correlationId, Map<String, ?> fields) {
        write("info", msg, correlationId, fields);
    }

    public void warn(String msg, Map<String, ?> fields) {
        write("warn", msg, null, fields);
    }

    public void warn(String msg, String correlationId, Map<String, ?> fields) {
        write("warn", msg, correlationId, fields);
    }

    public void info(String msg, Map<String, ?> fields) {
        write("info", msg, null, fields);
    }

    public void debug(String msg, String correlationId, Map<String, ?> fields) {
        if (debug) write("debug", msg, correlationId, fields);
    }

    private void write(String level, String msg, String correlationId, Map<String, ?> fields) {
        var m = new LinkedHashMap<String, Object>();
        m.put("time", Instant.now().toString());
        m.put("level", level);
        m.put("component", component);
        m.put("msg", msg);
        if (correlationId != null) m.put("correlation_id", correlationId);
        m.putAll(fields);
        String line = JSON.writeValueAsString(m);
        synchronized (out) {
            out.println(line);
        }
    }
}
