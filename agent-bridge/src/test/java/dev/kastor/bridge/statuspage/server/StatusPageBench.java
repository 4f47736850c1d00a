package dev.kastor.bridge.statuspage.server;

import com.sun.net.httpserver.SimpleFileServer;
import dev.kastor.bridge.Bridge;
import dev.kastor.bridge.Upstream;
import dev.kastor.bridge.agentapp.Agent;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.statuspage.StatusPageDefaults;
import dev.kastor.testing.HeadlessChromium;
import dev.kastor.testing.Programs;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.openqa.selenium.Cookie;

/**
 * The status page's first paint with {@code agents} connected agents (bench/status-page-bench runs it by hand; not a
 * test), on loopback in one JVM: a real KAS with the status page, that many real agents forwarding to the API server
 * stand-in with Flux objects and inventories ({@link FluxApiServer}), and headless Chromium signed in as the operator.
 *
 * <p>Per load, in turn with its baseline so both see the same machine load:
 * <ul>
 *   <li>KAS: the browser opens {@code /status}; its first contentful paint (Paint Timing API), and the time KAS took
 *       to answer (Navigation Timing: request start to response start);</li>
 *   <li>baseline: the same page, saved once with its stylesheet and script, served by the JDK's file server on
 *       loopback; its first contentful paint and answer time: what the same bytes cost with no rendering behind them.</li>
 * </ul>
 * Warm loads read every agent's cluster from KAS's 5 s cache; cold loads come after the cache has expired, so the page
 * starts every agent's read and waits for them up to {@link StatusPageDefaults#PAGE_WAIT}.
 */
public final class StatusPageBench {
    private static final String OPERATOR_TOKEN = "operator-token-0123456789abcdef0123456789";

    /** One load's figures, in milliseconds. */
    record Load(double paint, double answer) {}

    public static void main(String[] args) throws Exception {
        int agentCount = Integer.getInteger("agents", 100);
        int warmLoads = Integer.getInteger("loads", 30);
        int coldLoads = Integer.getInteger("cold", 5);
        Path dir = Files.createTempDirectory("kastor-status-bench-");
        List<Agent> agents = new ArrayList<>();
        Upstream api = null;
        Bridge bridge = null;
        com.sun.net.httpserver.HttpServer files = null;
        var quiet = JsonLog.quiet();
        try {
            Path token = Files.writeString(dir.resolve("operator-token"), OPERATOR_TOKEN);
            bridge = Bridge.setup(Files.createDirectories(dir.resolve("kas"))).statusPage(new KasConfig.StatusPage(token.toString(), null)).start();
            api = FluxApiServer.start(new AtomicInteger(), new CopyOnWriteArrayList<>());
            for (int i = 0; i < agentCount; i++) {
                var registered = bridge.register("platform/agents", "agent-" + i);
                agents.add(bridge.startAgent(registered.token(), api.url(), quiet));
                bridge.awaitConnected(registered.agent().id());
            }
            String page = bridge.apiUrl() + StatusPageDefaults.PAGE_PATH;
            var session = StatusPageClient.signIn(bridge.apiUrl(), OPERATOR_TOKEN);
            // the copy is of the whole page: once every agent's cluster has been read (none shows "reading" any more)
            var whole = HttpClient.newHttpClient();
            long until = System.nanoTime() + 60_000_000_000L;
            while (whole.send(HttpRequest.newBuilder(URI.create(page)).header("Cookie", session.cookie()).build(),
                    HttpResponse.BodyHandlers.ofString()).body().contains("reading its cluster")) {
                if (System.nanoTime() > until) throw new IllegalStateException("agents' clusters still unread after 60 s");
                Thread.sleep(200);
            }
            files = baseline(dir.resolve("static"), bridge.apiUrl(), session.cookie());
            String copy = "http://127.0.0.1:" + files.getAddress().getPort() + "/page.html";
            long bytes = Files.size(dir.resolve("static").resolve("page.html"));
            String keep = System.getProperty("keep.page");
            if (keep != null) Files.copy(dir.resolve("static").resolve("page.html"), Path.of(keep), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

            var http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            var get = new ArrayList<Load>();
            var getBase = new ArrayList<Load>();
            for (int i = 0; i < 20 + warmLoads * 4; i++) { // the first 20 warm the JIT and are not counted
                double kas = timedGet(http, URI.create(page), session.cookie());
                double base = timedGet(http, URI.create(copy), session.cookie());
                if (i >= 20) {
                    get.add(new Load(Double.NaN, kas));
                    getBase.add(new Load(Double.NaN, base));
                }
            }

            try (var browser = HeadlessChromium.start(1440, 900)) {
                browser.open(bridge.apiUrl() + "/readyz"); // the cookie's origin, to set it there
                String value = session.cookie().substring(session.cookie().indexOf('=') + 1);
                browser.driver().manage().addCookie(new Cookie(StatusPageDefaults.COOKIE, value, "/"));
                for (int i = 0; i < 5; i++) { // the browser's and the JIT's first loads are not counted
                    load(browser, page);
                    load(browser, copy);
                }
                var warm = new ArrayList<Load>();
                var warmBase = new ArrayList<Load>();
                for (int i = 0; i < warmLoads; i++) {
                    warm.add(load(browser, page));
                    warmBase.add(load(browser, copy));
                }
                var cold = new ArrayList<Load>();
                var coldBase = new ArrayList<Load>();
                for (int i = 0; i < coldLoads; i++) {
                    Thread.sleep(ClusterReads.FRESH.toMillis() + 500); // every agent's last read is stale now
                    cold.add(load(browser, page));
                    coldBase.add(load(browser, copy));
                }
                int rows = ((Number) browser.driver().executeScript("return document.querySelectorAll('#agents tbody tr[id^=agent-]').length"))
                        .intValue();
                if (rows != agentCount) throw new IllegalStateException("the page shows " + rows + " agents, not " + agentCount);
                System.out.printf("status page with %d connected agents, %d bytes of HTML; times in ms (p50 / p99, nearest rank)%n", agentCount, bytes);
                System.out.printf("| loads | first paint KAS | first paint baseline | ratio p50 | KAS answer | baseline answer |%n");
                System.out.printf("|---|---|---|---|---|---|%n");
                row("warm x" + warmLoads, warm, warmBase);
                row("cold x" + coldLoads, cold, coldBase);
                double[] g = percentiles(get.stream().mapToDouble(Load::answer).toArray());
                double[] gb = percentiles(getBase.stream().mapToDouble(Load::answer).toArray());
                System.out.printf("| HTTP GET alone, warm x%d (no browser running) | | | | %.1f / %.1f | %.1f / %.1f |%n", get.size(), g[0], g[1], gb[0], gb[1]);
            }
        } finally {
            for (Agent a : agents) a.close();
            if (files != null) files.stop(0);
            Programs.closeAll(bridge, api);
            Programs.deleteTree(dir);
        }
        System.exit(0);
    }

    /** Opens {@code url} and reads its first contentful paint and its answer time from the browser's own timings. */
    private static Load load(HeadlessChromium browser, String url) {
        browser.open(url);
        @SuppressWarnings("unchecked")
        var t = (Map<String, Object>) browser.driver().executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                const read = () => {
                  const paint = performance.getEntriesByName('first-contentful-paint')[0];
                  if (!paint) { setTimeout(read, 5); return; }
                  const nav = performance.getEntriesByType('navigation')[0];
                  done({paint: paint.startTime, answer: nav.responseStart - nav.requestStart});
                };
                read();""");
        return new Load(((Number) t.get("paint")).doubleValue(), ((Number) t.get("answer")).doubleValue());
    }

    /** A whole GET of {@code uri}, body read, in ms. */
    private static double timedGet(HttpClient http, URI uri, String cookie) throws Exception {
        long start = System.nanoTime();
        var r = http.send(HttpRequest.newBuilder(uri).header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) throw new IllegalStateException(uri + " answered " + r.statusCode());
        return (System.nanoTime() - start) / 1e6;
    }

    /** The page as KAS renders it now, with its stylesheet and script, in a directory the JDK's file server serves. */
    private static com.sun.net.httpserver.HttpServer baseline(Path root, URI api, String cookie) throws Exception {
        var http = HttpClient.newHttpClient();
        var page = http.send(HttpRequest.newBuilder(URI.create(api + StatusPageDefaults.PAGE_PATH)).header("Cookie", cookie).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        var files = new java.util.LinkedHashMap<String, String>();
        files.put("page.html", StatusPageDefaults.PAGE_PATH);
        var assets = java.util.regex.Pattern.compile("(?:href|src)=\"(/status/static/[^\"]+)\"").matcher(page);
        while (assets.find()) files.put(assets.group(1).substring(1), assets.group(1));
        for (var file : files.entrySet()) {
            var r = http.send(HttpRequest.newBuilder(URI.create(api + file.getValue())).header("Cookie", cookie).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new IllegalStateException(file.getValue() + " answered " + r.statusCode());
            Path target = root.resolve(file.getKey());
            Files.createDirectories(target.getParent());
            Files.writeString(target, r.body(), StandardCharsets.UTF_8);
        }
        var server = SimpleFileServer.createFileServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), root.toAbsolutePath(),
                SimpleFileServer.OutputLevel.NONE);
        server.start();
        return server;
    }

    private static void row(String name, List<Load> kas, List<Load> base) {
        double[] p = percentiles(kas.stream().mapToDouble(Load::paint).toArray());
        double[] bp = percentiles(base.stream().mapToDouble(Load::paint).toArray());
        double[] a = percentiles(kas.stream().mapToDouble(Load::answer).toArray());
        double[] ba = percentiles(base.stream().mapToDouble(Load::answer).toArray());
        System.out.printf("| %s | %.1f / %.1f | %.1f / %.1f | %.2f | %.1f / %.1f | %.1f / %.1f |%n", name, p[0], p[1], bp[0], bp[1], p[0] / bp[0],
                a[0], a[1], ba[0], ba[1]);
    }

    /** p50 and p99 (nearest rank). */
    private static double[] percentiles(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return new double[] {s[(int) Math.ceil(s.length * 0.50) - 1], s[(int) Math.ceil(s.length * 0.99) - 1]};
    }
}
