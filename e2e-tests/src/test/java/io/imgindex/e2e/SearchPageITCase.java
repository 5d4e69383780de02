package io.imgindex.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.flags.Flags;
import io.imgindex.server.ServeOptions;
import io.imgindex.server.ServerConfig;
import io.imgindex.server.ShardServer;
import io.imgindex.server.router.RouterServer;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The search page in a real browser (Debian's headless Chromium, driven by its chromedriver) against a shard server
 * on a free port over the sample photos indexed by {@code bin/imgindex}: a search by uploading a photo, a click on
 * a result that opens its duplicate group, a search by it, a filter, the about panel, a phone-sized window, no
 * console errors, an accessible name on every control. Screenshots go to {@code target/screenshots/} for a person
 * to look at.
 */
class SearchPageITCase {

    static final Path CHROMIUM = Paths.get("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Paths.get("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Paths.get("target", "screenshots");

    /** The page's and the window's widths, and the elements that reach past the window's right edge. */
    static final String WIDEST =
            "const w = window.innerWidth; return 'scrollWidth ' + document.documentElement.scrollWidth"
                    + " + ', innerWidth ' + w + ', clientWidth ' + document.documentElement.clientWidth + ', past the edge: '"
                    + " + [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1)"
                    + ".slice(0, 8).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' right '"
                    + " + Math.round(e.getBoundingClientRect().right)).join('; ');";

    @TempDir
    static Path work;

    static ShardServer server;
    static ChromeDriver browser;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        assertThat(CHROMIUM)
                .as("the page test needs Debian's chromium and chromium-driver (bin/test installs them as root)")
                .isExecutable();
        assertThat(CHROMEDRIVER).isExecutable();
        Path out = work.resolve("indexes");
        // The photos are indexed from a copy in a deep folder: a duplicate's file: URL is then longer than a phone's
        // screen is wide, wherever the checkout is (CI's longer path had overflowed a page that fit here).
        Path photos = Files.createDirectories(
                work.resolve("a-folder-whose-name-is-long-enough").resolve("that-no-file-url-fits-on-a-phone"));
        Files.copy(LauncherITCase.ROOT.resolve("sample-data/photos.csv"), photos.resolve("photos.csv"));
        Path images = Files.createDirectories(photos.resolve("images"));
        try (var files = Files.list(LauncherITCase.ROOT.resolve("sample-data/images"))) {
            for (Path image : files.toList()) {
                Files.copy(image, images.resolve(image.getFileName()));
            }
        }
        LauncherITCase.Run index = LauncherITCase.imgindex(
                "index",
                "--input",
                photos.resolve("photos.csv").toString(),
                "--allow-file-root",
                photos.toString(),
                "--output",
                out.toString(),
                "--name",
                "sample",
                "--model",
                "imgindex-thumb-v1");
        assertThat(index.exit()).as(index.stderr()).isZero();
        server = ShardServer.start(ServerConfig.from(Flags.parse(
                        new String[] {
                            "--index",
                            out.toString(),
                            "--name",
                            "sample",
                            "--port",
                            "0",
                            "--host",
                            "127.0.0.1",
                            // A router's uploads are embedded by its shard servers.
                            "--embed-endpoint",
                            // Searches by URL fetch from this loopback server (its own thumbnails).
                            "--allow-network",
                            "127.0.0.1/32"
                        },
                        ServeOptions.ALL)
                .options()));
        base = "http://" + server.http().hostAndPort();
        // The server loads its generation in the background; the page asks again while it answers 503, but a 503
        // is a console error, which this test counts, so the page is opened once the server is ready.
        awaitReady(base);

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // As the machine's notes say: headless, and nothing that reaches for the network on its own.
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + Files.createDirectories(work.resolve("chromium-profile")));
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
        browser.manage().window().setSize(new Dimension(1280, 900));
        Files.createDirectories(SCREENSHOTS);
    }

    /** Waits until the server at {@code base} is ready (its /readyz answers 200), at most 2 minutes. */
    static void awaitReady(String base) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (client.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(), BodyHandlers.discarding())
                        .statusCode()
                != 200) {
            assertThat(System.nanoTime())
                    .as(base + " is ready within 2 minutes")
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
    }

    /** Waits for a condition on the page; on timeout, fails with what the page says and its console. */
    static void waitFor(String what, Function<WebDriver, Boolean> condition) {
        waitFor(what, Duration.ofSeconds(30), condition);
    }

    static void waitFor(String what, Duration timeout, Function<WebDriver, Boolean> condition) {
        try {
            new WebDriverWait(browser, timeout).until(condition::apply);
        } catch (TimeoutException e) {
            throw new AssertionError("timed out waiting for " + what + "; summary: '"
                    + browser.findElement(By.id("summary")).getText() + "', status: '"
                    + browser.findElement(By.id("status")).getText() + "', console: "
                    + browser.manage().logs().get(LogType.BROWSER).getAll());
        }
    }

    static void screenshot(String name) throws Exception {
        Files.copy(
                browser.getScreenshotAs(OutputType.FILE).toPath(),
                SCREENSHOTS.resolve(name + ".png"),
                StandardCopyOption.REPLACE_EXISTING);
    }

    static List<WebElement> results() {
        return browser.findElements(By.cssSelector("#results .result"));
    }

    static Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    @Test
    void searchesByUploadClickAndFilterAsAPersonWould() throws Exception {
        browser.get(base + "/");
        waitFor(
                "the index's summary",
                b -> b.findElement(By.id("summary")).getText().contains("generation 1"));
        assertThat(browser.findElement(By.id("summary")).getText()).contains("39 items");

        // Search by picking a photo: the same photo comes first, its thumbnail shown.
        File coffee =
                LauncherITCase.ROOT.resolve("sample-data/images/coffee.jpg").toFile();
        browser.findElement(By.id("file")).sendKeys(coffee.getAbsolutePath());
        waitFor(
                "results for the upload",
                b -> b.findElement(By.id("status")).getText().contains("results for the image"));
        assertThat(results()).hasSize(24);
        WebElement first = results().get(0);
        assertThat(first.getAttribute("data-id")).isEqualTo("coffee");
        assertThat(first.getText()).contains("1 duplicate");
        waitFor("the first thumbnail", b -> (Boolean) js(
                "const i = document.querySelector('#results .result img'); return i.complete && i.naturalWidth > 0;"));
        assertThat(first.findElement(By.tagName("img")).getAttribute("src")).endsWith("/v1/items/coffee/thumbnail");
        screenshot("1-search-by-upload");

        // Click it: a search by it, and its duplicate group beside the results.
        first.findElement(By.cssSelector("button.pick")).click();
        waitFor("the detail panel", b -> b.findElement(By.id("detail")).isDisplayed());
        WebElement detail = browser.findElement(By.id("detail"));
        waitFor("the duplicate group", b -> detail.getText().contains("coffee-copy"));
        assertThat(detail.getText())
                .contains("Duplicate group: 1 recorded duplicate")
                .contains("coffee-copy — exact copy (same bytes), similarity 1.000");
        // The duplicate's own thumbnail, which the job stored too.
        waitFor(
                "the duplicate's thumbnail",
                b -> (Boolean)
                        js(
                                "const i = document.querySelector('#detail li.dup img'); return !!i && i.complete && i.naturalWidth > 0;"));
        waitFor(
                "results similar to coffee",
                b -> b.findElement(By.id("status")).getText().contains("similar to coffee"));
        // The item itself is left out.
        assertThat(results()).isNotEmpty().noneMatch(r -> "coffee".equals(r.getAttribute("data-id")));
        screenshot("2-duplicate-group");

        // The detail panel's own button searches by the item too.
        browser.findElement(By.id("similar-button")).click();
        waitFor(
                "results similar to coffee again",
                b -> b.findElement(By.id("status")).getText().contains("similar to coffee"));

        // Search by URL: an image the server fetches (here its own thumbnail of the coffee photo, over loopback).
        WebElement url = browser.findElement(By.id("url"));
        url.sendKeys(base + "/v1/items/coffee/thumbnail", Keys.ENTER);
        waitFor(
                "results for the URL",
                b -> b.findElement(By.id("status")).getText().contains("results for http"));
        assertThat(results().get(0).getAttribute("data-id")).isEqualTo("coffee");

        // A search typed and submitted from the keyboard: photos of every licence come back.
        WebElement id = browser.findElement(By.id("item-id"));
        id.clear();
        id.sendKeys("water-drop", Keys.ENTER);
        waitFor(
                "results similar to water-drop",
                b -> b.findElement(By.id("status")).getText().contains("for items similar to water-drop"));
        int unfiltered = results().size();
        assertThat(results()).anyMatch(r -> !r.getText().contains("license: CC0-1.0"));

        // The same search with a filter from the index's metadata columns: only that licence is left.
        browser.findElement(By.id("f-license")).sendKeys("CC0-1.0");
        id.sendKeys(Keys.ENTER);
        waitFor(
                "filtered results",
                b -> b.findElement(By.id("status")).getText().contains("for items similar to water-drop")
                        && results().stream().allMatch(r -> r.getText().contains("license: CC0-1.0")));
        assertThat(results()).isNotEmpty().hasSizeLessThan(unfiltered).allMatch(r -> r.getText()
                .contains("license: CC0-1.0"));
        screenshot("3-filtered");

        // The about panel: the generation, its counts and its failures by reason.
        browser.findElement(By.cssSelector("#about summary")).click();
        assertThat(browser.findElement(By.id("about-facts")).getText())
                .contains("generation")
                .contains("failed: NOT_FOUND")
                .contains("imgindex-thumb-v1");
        // The admin form stays disabled without a token.
        assertThat(browser.findElement(By.id("switch-button")).isEnabled()).isFalse();

        // Every control has an accessible name.
        Object unnamed = js("return [...document.querySelectorAll('input, button, select, [role=button]')]"
                + ".filter(e => !(e.getAttribute('aria-label') || (e.labels && e.labels.length)"
                + " || e.textContent.trim())).map(e => e.id || e.outerHTML.slice(0, 60));");
        assertThat((List<?>) unnamed).as("controls without an accessible name").isEmpty();

        // Readable on a phone: nothing wider than the screen.
        browser.manage().window().setSize(new Dimension(390, 844));
        try {
            new WebDriverWait(browser, Duration.ofSeconds(30))
                    .until(b -> (Boolean) js("return document.documentElement.scrollWidth <= window.innerWidth + 1;"));
        } catch (TimeoutException e) {
            screenshot("4-phone-too-wide");
            throw new AssertionError("the page is wider than the phone: " + js(WIDEST));
        }
        screenshot("4-phone");

        List<LogEntry> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .toList();
        assertThat(errors).as("console errors").isEmpty();
    }

    @Test
    void aRouterServesThePageOverItsShardServers() throws Exception {
        try (RouterServer router = RouterServer.start(ServerConfig.from(Flags.parse(
                        new String[] {
                            "--router", "--backends", server.http().hostAndPort(), "--port", "0", "--host", "127.0.0.1"
                        },
                        ServeOptions.ALL)
                .options()))) {
            String routed = "http://" + router.http().hostAndPort();
            awaitReady(routed);
            browser.manage().window().setSize(new Dimension(1280, 900));
            browser.get(routed + "/");
            waitFor(
                    "the router's summary",
                    b -> b.findElement(By.id("summary")).getText().contains("router"));
            assertThat(browser.findElement(By.id("summary")).getText())
                    .contains("sample · generation 1 · 39 items · router");
            // Filters from the metadata columns its backends serve; no generation switch (a shard server's).
            waitFor("the filters", b -> !b.findElements(By.id("f-license")).isEmpty());
            assertThat(browser.findElement(By.id("admin")).isDisplayed()).isFalse();
            browser.findElement(By.cssSelector("#about summary")).click();
            assertThat(browser.findElement(By.id("about-facts")).getText())
                    .contains("failed: NOT_FOUND")
                    .contains(server.http().hostAndPort());

            // An upload (embedded by a shard server's /v1/embed), then a click on the photo found.
            browser.findElement(By.id("file"))
                    .sendKeys(LauncherITCase.ROOT
                            .resolve("sample-data/images/coffee.jpg")
                            .toFile()
                            .getAbsolutePath());
            waitFor(
                    "results through the router",
                    b -> b.findElement(By.id("status")).getText().contains("results for the image"));
            assertThat(results().get(0).getAttribute("data-id")).isEqualTo("coffee");
            results().get(0).findElement(By.cssSelector("button.pick")).click();
            waitFor(
                    "the duplicate group",
                    b -> b.findElement(By.id("detail")).getText().contains("coffee-copy"));
            screenshot("5-router");
            List<LogEntry> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                    .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                    .toList();
            assertThat(errors).as("console errors").isEmpty();
        }
    }
}
