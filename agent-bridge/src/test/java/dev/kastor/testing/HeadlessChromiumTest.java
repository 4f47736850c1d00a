package dev.kastor.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * What the status page's browser tests rely on, against a small page served here: forms, cookies as a server sets
 * them (HttpOnly, SameSite=Strict and Secure, kept on plain-HTTP loopback, which browsers count as a secure context),
 * scripts that update the page, screenshots, and a fresh profile per browser.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HeadlessChromiumTest {
    private static final Duration WITHIN = Duration.ofSeconds(20);

    private HttpServer server;
    private final AtomicInteger polls = new AtomicInteger();

    @TempDir
    Path tmp;

    @BeforeAll
    void serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/", this::page);
        server.createContext("/sign-in", this::signIn);
        server.createContext("/count", this::count);
        server.start();
    }

    @AfterAll
    void stop() {
        server.stop(0);
    }

    private String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    @Test
    void formIsSubmittedAndTheSessionCookieIsKeptAsTheServerSetIt() {
        try (var browser = HeadlessChromium.start(1024, 768)) {
            browser.open(url("/"));
            assertThat(browser.text()).contains("not signed in");

            browser.driver().findElement(By.name("who")).sendKeys("ada");
            browser.clickAndWait(By.id("go"));

            assertThat(browser.text()).contains("signed in as ada");
            var cookie = browser.driver().manage().getCookieNamed("session");
            assertThat(cookie).isNotNull();
            assertThat(cookie.isHttpOnly()).isTrue();
            assertThat(cookie.isSecure()).isTrue();
            assertThat(cookie.getSameSite()).isEqualTo("Strict");
        }
    }

    @Test
    void eachBrowserStartsWithoutCookies() {
        try (var first = HeadlessChromium.start(800, 600)) {
            first.open(url("/"));
            first.driver().findElement(By.name("who")).sendKeys("grace");
            first.clickAndWait(By.id("go"));
            assertThat(first.text()).contains("signed in as grace");
        }
        try (var second = HeadlessChromium.start(800, 600)) {
            second.open(url("/"));
            assertThat(second.text()).contains("not signed in");
        }
    }

    @Test
    void pageScriptUpdatesThePageWithoutAReload() throws InterruptedException {
        try (var browser = HeadlessChromium.start(800, 600)) {
            browser.open(url("/"));
            int before = polls.get();

            Eventually.until(WITHIN, () -> "the page's script to show a count above " + (before + 2) + "; page: " + browser.text(),
                    () -> Integer.parseInt(browser.driver().findElement(By.id("count")).getText().strip()) > before + 2);
            assertThat(browser.driver().executeScript("return performance.getEntriesByType('navigation').length")).isEqualTo(1L);
        }
    }

    @Test
    void screenshotIsAPngOfTheWindow() throws IOException {
        try (var browser = HeadlessChromium.start(640, 480)) {
            browser.open(url("/"));

            Path png = browser.screenshot(tmp.resolve("shots/page.png"));

            byte[] bytes = Files.readAllBytes(png);
            assertThat(bytes).startsWith(0x89, 'P', 'N', 'G');
            int width = (bytes[16] & 0xff) << 24 | (bytes[17] & 0xff) << 16 | (bytes[18] & 0xff) << 8 | (bytes[19] & 0xff);
            assertThat(width).isEqualTo(640);
        }
    }

    private void page(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestURI().getPath().equals("/")) {
            send(exchange, 404, "text/plain", "no such page");
            return;
        }
        String cookies = String.valueOf(exchange.getRequestHeaders().getFirst("Cookie"));
        String who = cookies.startsWith("session=") ? cookies.substring("session=".length()) : null;
        send(exchange, 200, "text/html; charset=utf-8", """
                <!doctype html>
                <html><head><title>test page</title></head><body>
                <p id="who">%s</p>
                <form method="post" action="/sign-in"><input name="who"><button id="go" type="submit">sign in</button></form>
                <p>polls: <span id="count">0</span></p>
                <script>
                  setInterval(async () => {
                    const r = await fetch('/count');
                    document.getElementById('count').textContent = await r.text();
                  }, 100);
                </script>
                </body></html>
                """.formatted(who == null ? "not signed in" : "signed in as " + who));
    }

    private void signIn(HttpExchange exchange) throws IOException {
        String form = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String who = form.startsWith("who=") ? form.substring("who=".length()) : "nobody";
        exchange.getResponseHeaders().add("Set-Cookie", "session=" + who + "; Path=/; HttpOnly; Secure; SameSite=Strict");
        exchange.getResponseHeaders().add("Location", "/");
        send(exchange, 303, "text/plain", "");
    }

    private void count(HttpExchange exchange) throws IOException {
        send(exchange, 200, "text/plain", String.valueOf(polls.incrementAndGet()));
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
