import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { describe, test } from "node:test";
import type { Page } from "playwright-core";
import { usePoolAndSite } from "../../test/fixtures/site/test-browser.ts";
import { AppError } from "../errors.ts";
import type { PageCapture } from "./page-capture.ts";
import { loadPage, type LoadRequest } from "./page-loader.ts";

const t = usePoolAndSite();

function requestFor(url: string, overrides: Partial<LoadRequest> = {}): LoadRequest {
  return {
    url,
    waitFor: 0,
    timeoutMs: 15_000,
    mobile: false,
    skipTlsVerification: true,
    blockAds: true,
    actions: [],
    ...overrides,
  };
}

/** Loads `path` through the pool; `then` runs on the same page afterwards. */
async function load<T = undefined>(
  path: string,
  overrides: Partial<LoadRequest> = {},
  then?: (page: Page, capture: PageCapture) => Promise<T>,
): Promise<{ capture: PageCapture; extra: T | undefined }> {
  const request = requestFor(path.startsWith("http") ? path : t.site.url + path, overrides);
  const signal = AbortSignal.timeout(30_000);
  const { value } = await t.pool.run(
    request,
    async (page) => {
      const capture = await loadPage(page, request, signal);
      return { capture, extra: then ? await then(page, capture) : undefined };
    },
    { signal },
  );
  return value;
}

function rejectsWith(kind: string, pattern?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.kind, kind);
    if (pattern) assert.match(error.message, pattern);
    return true;
  };
}

const staticFile = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/site/static/${name}`, import.meta.url));

describe("loadPage: documents", () => {
  test("captures an HTML page with its status, type and rendered DOM", async () => {
    const { capture } = await load("/article");
    assert.equal(capture.statusCode, 200);
    assert.equal(capture.contentType, "text/html; charset=utf-8");
    assert.equal(capture.url, `${t.site.url}/article`);
    assert.match(capture.html ?? "", /<h1>Skiff Test Article<\/h1>/);
    assert.equal(capture.body, undefined);
    assert.equal(capture.screenshot, undefined);
    assert.equal(capture.actions, undefined);
  });

  test("reports the final URL after a redirect", async () => {
    const { capture } = await load("/redirect");
    assert.equal(capture.statusCode, 200);
    assert.equal(capture.url, `${t.site.url}/article`);
  });

  test("keeps a 404 page as a page", async () => {
    const { capture } = await load("/missing");
    assert.equal(capture.statusCode, 404);
    assert.match(capture.html ?? "", /Page not found/);
  });

  test("a page that opens a stray tab is still captured", async () => {
    const { capture, extra } = await load("/popup", {}, async (page) => {
      await page.waitForTimeout(100);
      return page.context().pages().length;
    });
    assert.match(capture.html ?? "", /Popup page/);
    assert.equal(extra, 2);
  });

  test("decodes a page served as ISO-8859-1", async () => {
    const { capture } = await load("/latin1");
    assert.match(capture.html ?? "", /Café crème/);
  });

  for (const [path, file, type] of [
    ["/example.json", "example.json", "application/json"],
    ["/plain.txt", "plain.txt", "text/plain; charset=utf-8"],
    ["/example.pdf", "example.pdf", "application/pdf"],
  ] as const) {
    test(`returns the raw bytes of ${type}`, async () => {
      const { capture } = await load(path);
      assert.equal(capture.contentType, type);
      assert.equal(capture.statusCode, 200);
      assert.equal(capture.url, t.site.url + path);
      assert.equal(capture.html, undefined);
      assert.deepEqual(capture.body, staticFile(file));
    });
  }

  test("fetches a document that starts a download", async () => {
    const { capture } = await load("/download");
    assert.equal(capture.contentType, "application/pdf");
    assert.equal(capture.url, `${t.site.url}/download`);
    assert.deepEqual(capture.body, staticFile("example.pdf"));
  });
});

describe("loadPage: waiting and deadlines", () => {
  test("waitFor lets client-side rendering finish", async () => {
    // A long delay for the negative case, so that a slow machine cannot make it pass by accident.
    const before = await load("/client-rendered?delay=5000");
    assert.doesNotMatch(before.capture.html ?? "", /Hydrated content/);
    const after = await load("/client-rendered", { waitFor: 1500 });
    assert.match(after.capture.html ?? "", /Hydrated content/);
    assert.match(after.capture.html ?? "", /Users: 1234/);
  });

  test("a page slower than the timeout gives SCRAPE_TIMEOUT, on time", async () => {
    const started = Date.now();
    await assert.rejects(load("/slow?ms=5000", { timeoutMs: 1000 }), rejectsWith("SCRAPE_TIMEOUT"));
    assert.ok(Date.now() - started < 4500, `took ${Date.now() - started} ms`);
  });

  test("an aborted signal stops the load", async () => {
    const request = requestFor(`${t.site.url}/slow?ms=5000`, { timeoutMs: undefined });
    const signal = AbortSignal.timeout(500);
    const started = Date.now();
    await assert.rejects(
      t.pool.run(request, (page) => loadPage(page, request, signal), { signal }),
      rejectsWith("SCRAPE_TIMEOUT"),
    );
    assert.ok(Date.now() - started < 4000);
  });
});

describe("loadPage: network errors", () => {
  test("an unknown host gives SCRAPE_DNS_RESOLUTION_ERROR", async () => {
    await assert.rejects(
      load("http://no-such-host.invalid/"),
      rejectsWith("SCRAPE_DNS_RESOLUTION_ERROR", /hostname: no-such-host\.invalid/),
    );
  });

  test("a refused connection gives SCRAPE_SITE_ERROR with Chromium's code", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(
      load(`http://127.0.0.1:${port}/`),
      rejectsWith("SCRAPE_SITE_ERROR", /Error code: net::ERR_CONNECTION_REFUSED/),
    );
  });

  test("skipTlsVerification accepts a self-signed certificate", async () => {
    const { capture } = await load(`${t.site.httpsUrl}/`, { skipTlsVerification: true });
    assert.match(capture.html ?? "", /Self-signed TLS fixture/);
  });

  test("with TLS verification a self-signed certificate gives SCRAPE_SSL_ERROR", async () => {
    await assert.rejects(
      load(`${t.site.httpsUrl}/`, { skipTlsVerification: false }),
      rejectsWith("SCRAPE_SSL_ERROR"),
    );
  });
});

describe("loadPage: request options", () => {
  const echoed = async (overrides: Partial<LoadRequest>) => {
    const { capture } = await load("/echo-headers", overrides);
    return JSON.parse(capture.body?.toString() ?? "{}") as Record<string, string>;
  };

  test("custom headers reach the server", async () => {
    const headers = await echoed({ headers: { "X-Skiff-Test": "yes" } });
    assert.equal(headers["x-skiff-test"], "yes");
  });

  test("the desktop user agent does not say headless", async () => {
    const headers = await echoed({});
    assert.doesNotMatch(headers["user-agent"] ?? "", /Headless/);
    assert.match(headers["user-agent"] ?? "", /Chrome\/\d+/);
  });

  test("mobile sends a phone user agent and uses a phone viewport", async () => {
    const headers = await echoed({ mobile: true });
    assert.match(headers["user-agent"] ?? "", /Android.*Mobile/);
    const { extra } = await load("/article", { mobile: true }, (page) =>
      page.evaluate(() => ({ width: window.innerWidth, touch: navigator.maxTouchPoints })),
    );
    assert.ok(extra && extra.width < 500 && extra.touch > 0, JSON.stringify(extra));
  });

  test("location sets Accept-Language, the locale and the timezone", async () => {
    const location = { country: "de", languages: ["de-DE", "en"] };
    const headers = await echoed({ location });
    assert.equal(headers["accept-language"], "de-DE,en;q=0.9");
    const { extra } = await load("/", { location }, (page) =>
      page.evaluate(() => [navigator.language, Intl.DateTimeFormat().resolvedOptions().timeZone]),
    );
    assert.deepEqual(extra, ["de-DE", "Europe/Berlin"]);
  });

  test("a country alone picks its own locale", async () => {
    const headers = await echoed({ location: { country: "jp" } });
    assert.equal(headers["accept-language"], "ja-JP");
  });
});

describe("loadPage: blockAds", () => {
  const adHits = () => t.site.requests.filter((r) => r.host.includes("doubleclick.net")).length;

  test("blocks listed ad hosts before any request leaves the browser", async () => {
    const hitsBefore = adHits();
    const { capture } = await load("/ads", { blockAds: true });
    assert.match(capture.html ?? "", /Page with ads/);
    assert.equal(adHits(), hitsBefore, "an ad request reached the network");
  });

  test("lets them through when off (the host is mapped to the test site)", async () => {
    const hitsBefore = adHits();
    await load("/ads", { blockAds: false });
    assert.ok(adHits() > hitsBefore, "the control request did not arrive");
  });

  test("a blocked request fails in the browser as blocked", async () => {
    const failures: string[] = [];
    const request = requestFor(`${t.site.url}/ads`);
    const signal = AbortSignal.timeout(15_000);
    await t.pool.run(
      request,
      async (page) => {
        page.on("requestfailed", (r) => failures.push(r.failure()?.errorText ?? ""));
        return loadPage(page, request, signal);
      },
      { signal },
    );
    // The script and the pixel; refused by the blocker, not by DNS or the connection.
    assert.equal(failures.length, 2, failures.join());
    assert.ok(!failures.some((f) => /NAME_NOT_RESOLVED|CONNECTION/.test(f)), failures.join());
  });
});

describe("loadPage: screenshots", () => {
  const pngSize = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) });

  test("a viewport PNG by default", async () => {
    const { capture } = await load("/long", {
      screenshot: { type: "screenshot", fullPage: false },
    });
    const png = capture.screenshot!;
    assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    assert.deepEqual(pngSize(png), { width: 1920, height: 1080 });
    assert.ok(capture.html, "html is still captured");
  });

  test("a JPEG when quality is set", async () => {
    const { capture } = await load("/article", {
      screenshot: { type: "screenshot", fullPage: false, quality: 60 },
    });
    assert.deepEqual([...capture.screenshot!.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  });

  test("fullPage is taller than the viewport; viewport resizes first", async () => {
    const { capture } = await load("/long", {
      screenshot: { type: "screenshot", fullPage: true, viewport: { width: 800, height: 600 } },
    });
    const size = pngSize(capture.screenshot!);
    assert.equal(size.width, 800);
    assert.ok(size.height > 600 * 2, `height ${size.height}`);
  });
});
