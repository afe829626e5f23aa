// POST /v2/scrape options and error paths, end to end against the local test site.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { postJson, startSkiff, useSkiffAndSite } from "./helpers/skiff-harness.ts";

const t = useSkiffAndSite();

const scrape = (body: Record<string, unknown>, on = t.server) =>
  postJson(`${on.url}/v2/scrape`, { maxAge: 0, ...body });

/** The headers the test site received, as the /echo-headers page reports them. */
function echoed(markdown: string): Record<string, string> {
  const json = /```json\n([\s\S]*)\n```/.exec(markdown)?.[1];
  assert.ok(json, markdown);
  return JSON.parse(json) as Record<string, string>;
}

describe("page options", () => {
  it("waitFor lets a client-rendered page hydrate", async () => {
    // Hydration 3 s after load: a scrape without waitFor cannot race it, however slow the machine.
    const without = await scrape({ url: `${t.site.url}/client-rendered?delay=3000` });
    assert.doesNotMatch(without.body.data.markdown, /Hydrated content/);
    const withWait = await scrape({ url: `${t.site.url}/client-rendered`, waitFor: 1000 });
    assert.match(withWait.body.data.markdown, /# Hydrated content/);
    assert.match(withWait.body.data.markdown, /Users: 1234/);
  });

  it("timeout answers 408 SCRAPE_TIMEOUT", async () => {
    const started = Date.now();
    const r = await scrape({ url: `${t.site.url}/slow?ms=8000`, timeout: 1500 });
    assert.equal(r.status, 408);
    assert.equal(r.body.success, false);
    assert.equal(r.body.code, "SCRAPE_TIMEOUT");
    assert.match(r.body.error, /^The scrape operation timed out before completing\./);
    assert.ok(Date.now() - started < 6000, "the deadline is kept");
  });

  it("headers reach the site", async () => {
    const r = await scrape({
      url: `${t.site.url}/echo-headers`,
      headers: { "X-Skiff-Test": "abc" },
    });
    assert.equal(echoed(r.body.data.markdown)["x-skiff-test"], "abc");
  });

  it("mobile sends a phone user agent", async () => {
    const desktop = echoed(
      (await scrape({ url: `${t.site.url}/echo-headers` })).body.data.markdown,
    );
    const phone = echoed(
      (await scrape({ url: `${t.site.url}/echo-headers`, mobile: true })).body.data.markdown,
    );
    assert.doesNotMatch(desktop["user-agent"] ?? "", /Mobile/);
    assert.match(phone["user-agent"] ?? "", /Mobile/);
  });

  it("location sets Accept-Language", async () => {
    const r = await scrape({
      url: `${t.site.url}/echo-headers`,
      location: { country: "DE", languages: ["de-DE"] },
    });
    assert.match(echoed(r.body.data.markdown)["accept-language"] ?? "", /^de-DE/);
  });

  it("skipTlsVerification defaults to true: a self-signed site scrapes", async () => {
    const r = await scrape({ url: t.site.httpsUrl });
    assert.equal(r.status, 200);
    assert.match(r.body.data.markdown, /Self-signed TLS fixture/);
  });

  it("with verification on, a self-signed site is 500 SCRAPE_SSL_ERROR", async () => {
    const r = await scrape({ url: t.site.httpsUrl, skipTlsVerification: false });
    assert.equal(r.status, 500);
    assert.equal(r.body.code, "SCRAPE_SSL_ERROR");
    assert.match(r.body.error, /^An SSL error occurred while scraping the URL\./);
  });

  it("headers turn verification on by default, as Firecrawl does", async () => {
    const r = await scrape({ url: t.site.httpsUrl, headers: { "X-A": "1" } });
    assert.equal(r.status, 500);
    assert.equal(r.body.code, "SCRAPE_SSL_ERROR");
  });

  it("a page with ad hosts still scrapes with blockAds on (the default)", async () => {
    const r = await scrape({ url: `${t.site.url}/ads` });
    assert.equal(r.status, 200);
    assert.match(r.body.data.markdown, /Page with ads/);
  });
});

describe("the document cache", () => {
  const url = () => `${t.site.url}/article?cache-test=${Math.random()}`;

  it("misses, then hits with cachedAt and a fresh scrapeId; GET works for both", async () => {
    const u = url();
    const first = await scrape({ url: u, maxAge: 60_000 });
    assert.equal(first.body.data.metadata.cacheState, "miss");
    const second = await scrape({ url: u, maxAge: 60_000 });
    const m = second.body.data.metadata;
    assert.equal(m.cacheState, "hit");
    assert.ok(!Number.isNaN(Date.parse(m.cachedAt)));
    assert.notEqual(m.scrapeId, first.body.data.metadata.scrapeId);
    assert.equal(second.body.data.markdown, first.body.data.markdown);
    const got = await fetch(`${t.server.url}/v2/scrape/${m.scrapeId}`);
    assert.equal((await got.json()).data.metadata.cacheState, "hit");
  });

  it("maxAge 0 bypasses it and says nothing of it", async () => {
    const u = url();
    await scrape({ url: u, maxAge: 60_000 });
    const r = await scrape({ url: u, maxAge: 0 });
    assert.equal(r.body.data.metadata.cacheState, undefined);
  });

  it("storeInCache: false leaves nothing to hit", async () => {
    const u = url();
    await scrape({ url: u, maxAge: 60_000, storeInCache: false });
    const r = await scrape({ url: u, maxAge: 60_000 });
    assert.equal(r.body.data.metadata.cacheState, "miss");
  });

  it("different options are different entries", async () => {
    const u = url();
    await scrape({ url: u, maxAge: 60_000 });
    const r = await scrape({ url: u, maxAge: 60_000, onlyMainContent: false });
    assert.equal(r.body.data.metadata.cacheState, "miss");
  });

  it("lockdown serves only the cache: a miss is 404, a cached page is a hit", async () => {
    const u = url();
    const miss = await scrape({ url: u, lockdown: true });
    assert.equal(miss.status, 404);
    assert.equal(miss.body.code, "SCRAPE_LOCKDOWN_CACHE_MISS");
    await scrape({ url: u, maxAge: 60_000 });
    const hit = await scrape({ url: u, lockdown: true, maxAge: 60_000 });
    assert.equal(hit.body.data.metadata.cacheState, "hit");
  });

  it("minAge with nothing cached is 404 SCRAPE_NO_CACHED_DATA", async () => {
    const r = await scrape({ url: url(), maxAge: 60_000, minAge: 1 });
    assert.equal(r.status, 404);
    assert.equal(r.body.code, "SCRAPE_NO_CACHED_DATA");
  });
});

describe("what this server cannot do is said, not skipped", () => {
  it("onlyCleanContent and redactPII are not supported: a clear 400", async () => {
    for (const option of ["onlyCleanContent", "redactPII"]) {
      const r = await scrape({ url: `${t.site.url}/article`, [option]: true });
      assert.equal(r.status, 400);
      assert.equal(r.body.error, `The '${option}' option is not supported by Skiff.`);
    }
  });

  it("a stealth proxy request is served directly, with a warning", async () => {
    const r = await scrape({ url: `${t.site.url}/article`, proxy: "stealth" });
    assert.equal(r.body.success, true);
    assert.match(r.body.data.warning, /no stealth proxy/);
    assert.equal(r.body.data.metadata.proxyUsed, "basic");
  });
});

describe("what is stored", () => {
  /** The database's bytes, WAL included, as text. */
  const databaseText = () =>
    ["skiff.db", "skiff.db-wal"]
      .map((f) => {
        try {
          return readFileSync(path.join(t.server.dataDir, f)).toString("latin1");
        } catch {
          return "";
        }
      })
      .join("");

  it("zeroDataRetention keeps nothing of the url or page, so GET is 404", async () => {
    const marker = `zdr-${Date.now()}`;
    const r = await scrape({ url: `${t.site.url}/article?${marker}`, zeroDataRetention: true });
    assert.equal(r.body.success, true);
    assert.match(r.body.data.markdown, /known content/);
    const got = await fetch(`${t.server.url}/v2/scrape/${r.body.data.metadata.scrapeId}`);
    assert.equal(got.status, 404);
    assert.deepEqual(await got.json(), { success: false, error: "Job not found." });
    assert.equal(databaseText().includes(marker), false);
  });

  it("a profile is accepted and kept with the scrape's options", async () => {
    const r = await scrape({ url: `${t.site.url}/article`, profile: { name: "profile-kept-42" } });
    assert.equal(r.body.success, true);
    assert.ok(databaseText().includes("profile-kept-42"));
  });
});

describe("targets", () => {
  it("a name that does not resolve is 200 success:false SCRAPE_DNS_RESOLUTION_ERROR", async () => {
    const r = await scrape({ url: "http://nothing-here.invalid/" });
    assert.equal(r.status, 200);
    assert.equal(r.body.success, false);
    assert.equal(r.body.code, "SCRAPE_DNS_RESOLUTION_ERROR");
    assert.match(r.body.error, /^DNS resolution failed for hostname: nothing-here\.invalid\./);
  });

  it("without ALLOW_PRIVATE_TARGETS a loopback target is statusCode 403 'Blocked insecure target URL'", async () => {
    const strict = await startSkiff({ ALLOW_PRIVATE_TARGETS: "false" });
    try {
      const before = t.site.requests.length;
      for (const target of [`${t.site.url}/article`, "http://loopback-name.example/"]) {
        const r = await scrape({ url: target }, strict);
        assert.equal(r.status, 200);
        assert.equal(r.body.success, true);
        assert.equal(r.body.data.metadata.statusCode, 403);
        assert.equal(r.body.data.metadata.error, "Blocked insecure target URL");
        assert.equal(r.body.data.markdown, "");
      }
      assert.equal(t.site.requests.length, before, "the browser never reached the site");
    } finally {
      await strict.close();
    }
  });
});

describe("concurrency", () => {
  it("a scrape that waited for a slot says so", async () => {
    const narrow = await startSkiff({ SCRAPE_CONCURRENCY: "1" });
    try {
      const [a, b] = await Promise.all([
        scrape({ url: `${t.site.url}/slow?ms=700` }, narrow),
        scrape({ url: `${t.site.url}/slow?ms=701` }, narrow),
      ]);
      const metas = [a.body.data.metadata, b.body.data.metadata];
      const waited = metas.filter((m) => m.concurrencyLimited === true);
      assert.equal(waited.length, 1);
      assert.ok(waited[0].concurrencyQueueDurationMs >= 300, JSON.stringify(waited[0]));
      assert.equal(metas.find((m) => !m.concurrencyLimited).concurrencyQueueDurationMs, undefined);
    } finally {
      await narrow.close();
    }
  });
});
