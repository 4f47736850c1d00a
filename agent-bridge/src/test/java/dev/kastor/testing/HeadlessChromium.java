package dev.kastor.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A real browser for the tests of KAS's status page: Debian's Chromium, headless, driven by Selenium through Debian's
 * chromedriver (both installed by the README's test command). Selenium is given both programs' paths, so it never
 * runs Selenium Manager, which would look for a browser and a driver on the network. Each instance is a fresh
 * profile: no cookie, cache or storage carries over from another test.
 *
 * <p>Chromium runs with {@code --no-sandbox}: CI jobs run it as root in a container, where its sandbox cannot start,
 * and it only ever loads pages of servers the test itself started on loopback.
 */
public final class HeadlessChromium implements AutoCloseable {
    /** How long a page may take to load, or a script to run, before the test fails naming it. */
    public static final Duration PAGE_LOAD = Duration.ofSeconds(30);

    private final ChromeDriverService service;
    private final ChromeDriver driver;
    private final Path profile;

    private HeadlessChromium(ChromeDriverService service, ChromeDriver driver, Path profile) {
        this.service = service;
        this.driver = driver;
        this.profile = profile;
    }

    /** Starts chromedriver and a headless Chromium with a window of {@code width} × {@code height} CSS pixels. */
    public static HeadlessChromium start(int width, int height) {
        Path chromium = Programs.require("chromium", "chromium");
        Path chromedriver = Programs.require("chromedriver", "chromium-driver");
        // Selenium logs every command at INFO through java.util.logging: a test's output should hold its own lines only.
        Logger.getLogger("org.openqa.selenium").setLevel(Level.WARNING);
        Path profile;
        try {
            profile = Files.createTempDirectory("kastor-chromium-");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a profile directory for Chromium: " + e.getMessage(), e);
        }
        var service = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort()
                .withLogOutput(java.io.OutputStream.nullOutputStream())
                .build();
        var options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                "--disable-sync", "--metrics-recording-only", "--password-store=basic",
                "--user-data-dir=" + profile, "--window-size=" + width + "," + height);
        try {
            var driver = new ChromeDriver(service, options);
            driver.manage().timeouts().pageLoadTimeout(PAGE_LOAD).scriptTimeout(PAGE_LOAD);
            return new HeadlessChromium(service, driver, profile);
        } catch (RuntimeException e) {
            service.stop();
            Programs.deleteTree(profile);
            throw new IllegalStateException("Chromium did not start under chromedriver (" + chromium + ", " + chromedriver + "): "
                    + e.getMessage(), e);
        }
    }

    /** The Selenium driver, for finding elements, typing, clicking and reading cookies. */
    public ChromeDriver driver() {
        return driver;
    }

    /** Loads {@code url} and returns once the page has loaded. */
    public void open(String url) {
        driver.get(url);
    }

    /** The page's visible text ("" while a page is between documents), read in one script call. */
    public String text() {
        try {
            return String.valueOf(driver.executeScript("return document.body ? document.body.innerText : ''"));
        } catch (org.openqa.selenium.WebDriverException betweenPages) {
            return "";
        }
    }

    /**
     * The visible text of what {@code cssSelector} finds, or "" when nothing (or between documents): read in one script
     * call, since a page that rewrites itself may replace an element found a moment before.
     */
    public String text(String cssSelector) {
        try {
            return String.valueOf(driver.executeScript("const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", cssSelector));
        } catch (org.openqa.selenium.WebDriverException betweenPages) {
            return "";
        }
    }

    /**
     * Submits the form of the element {@code cssSelector} finds (with the element as the submitter when it is a submit
     * button, so its name and value go along), in one script call (a page that rewrites itself may
     * replace the element between finding and clicking it), and returns once the next page has loaded.
     */
    public void submitAndWait(String cssSelector) {
        Object found = driver.executeScript("const e = document.querySelector(arguments[0]);"
                + " if (!e) return false; window.kastorPageBefore = true; e.form.requestSubmit(e.type === 'submit' ? e : null); return true", cssSelector);
        if (!Boolean.TRUE.equals(found)) throw new AssertionError("nothing on the page matches " + cssSelector + ":\n" + text());
        awaitNextPage("submitting the form of " + cssSelector);
    }

    /**
     * Clicks what submits a form or follows a link, and returns once the next page has loaded. A click returns before
     * the browser has left the page, so reading right after it may read the old page, or none.
     */
    public void clickAndWait(org.openqa.selenium.By target) {
        driver.executeScript("window.kastorPageBefore = true");
        driver.findElement(target).click();
        awaitNextPage("clicking " + target);
    }

    private void awaitNextPage(String after) {
        try {
            Eventually.until(PAGE_LOAD, () -> "the page after " + after + " to load", () -> {
                try {
                    return Boolean.TRUE.equals(driver.executeScript("return window.kastorPageBefore !== true && document.readyState === 'complete'"));
                } catch (org.openqa.selenium.WebDriverException betweenPages) {
                    return false;
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the next page", e);
        }
    }

    /** Saves a PNG of the window to {@code file}, for the docs' screenshots and for a failing test's report. */
    public Path screenshot(Path file) {
        File png = driver.getScreenshotAs(OutputType.FILE);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.copy(png.toPath(), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new IllegalStateException("cannot save the screenshot " + file + ": " + e.getMessage(), e);
        } finally {
            png.delete();
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
            Programs.deleteTree(profile);
        }
    }
}
