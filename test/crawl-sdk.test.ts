// Crawl, batch scrape and map through the official JS SDK, unchanged, against the local test site.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Firecrawl from "@mendable/firecrawl-js";
import WebSocket from "ws";
import { postJson, startSkiff, useSkiffAndSite } from "./helpers/skiff-harness.ts";

const t = useSkiffAndSite({ SCRAPE_CONCURRENCY: "4" });
const sdk = () => new Firecrawl({ apiUrl: t.server.url, apiKey: "" });
/** The pages the test site's home page links to, and the home page itself. */
const SITE_PAGES = ["/", "/article", "/form", "/tabs", "/long"];

const sourceURLs = (docs: { metadata?: { sourceURL?: string } }[]) =>
  docs.map((d) => new URL(d.metadata?.sourceURL ?? "").pathname).sort();

describe("crawl, batch and map with @mendable/firecrawl-js", () => {
  it("crawl() runs to completion: every linked page once, billed per page", async () => {
    const job = await sdk().crawl(`${t.site.url}/`, {
      limit: 20,
      scrapeOptions: { formats: ["markdown"] },
      pollInterval: 1,
      timeout: 120,
    });
    assert.equal(job.status, "completed");
    assert.deepEqual(sourceURLs(job.data), [...SITE_PAGES].sort());
    assert.equal(job.completed, job.total);
    assert.equal(job.creditsUsed, SITE_PAGES.length);
    const article = job.data.find((d) => d.metadata?.sourceURL?.endsWith("/article"));
    assert.match(article?.markdown ?? "", /known content/);
    assert.equal(article?.links, undefined, "links only when asked for");
  });

  it("startCrawl, then getCrawlStatus follows `next` to the end with each page once", async () => {
    const { id, url } = await sdk().startCrawl(`${t.site.url}/`, { limit: 20 });
    assert.equal(url, `${t.server.url}/v2/crawl/${id}`);
    let status = await sdk().getCrawlStatus(id, { autoPaginate: false });
    for (let i = 0; status.status === "scraping" && i < 120; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = await sdk().getCrawlStatus(id, { autoPaginate: false });
    }
    assert.equal(status.status, "completed");
    const paged = await fetch(`${t.server.url}/v2/crawl/${id}?limit=2`);
    const first = (await paged.json()) as { next?: string; data: unknown[] };
    assert.equal(first.data.length, 2);
    assert.equal(first.next, `${t.server.url}/v2/crawl/${id}?skip=2&limit=2`);
    const all = await sdk().getCrawlStatus(id);
    assert.deepEqual(sourceURLs(all.data), [...SITE_PAGES].sort());
    assert.equal(all.next, null);
    assert.deepEqual(await sdk().getCrawlErrors(id), { errors: [], robotsBlocked: [] });
  });

  it("watcher streams a crawl over the WebSocket: catchup, documents, then done", async () => {
    const client = new Firecrawl({ apiUrl: t.server.url, apiKey: "fc-any-key" });
    const { id } = await client.startCrawl(`${t.site.url}/`, { limit: 20 });
    const watcher = client.watcher(id, { kind: "crawl", pollInterval: 1, timeout: 60 });
    const seen: string[] = [];
    let finished: { status?: string } | undefined;
    watcher.on("document", (doc: { metadata?: { sourceURL?: string } }) => {
      seen.push(new URL(doc.metadata?.sourceURL ?? "").pathname);
    });
    watcher.on("done", (state: { status?: string }) => (finished = state));
    await watcher.start();
    for (let i = 0; !finished && i < 200; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(finished?.status, "completed");
    assert.deepEqual([...new Set(seen)].sort(), [...SITE_PAGES].sort());
    const messages = await watchRaw(`/v2/crawl/${id}`, "fc-any-key");
    assert.equal(messages.frames[0]?.type, "catchup");
    assert.equal((messages.frames[0]?.data as { status?: string }).status, "completed");
    assert.deepEqual([messages.code, messages.reason], [1000, '{"type":"done"}']);
    assert.equal(messages.protocol, "fc-any-key", "the key offered as subprotocol is echoed");
    const unknown = await watchRaw("/v2/crawl/01900000-0000-7000-8000-000000000000", "k");
    assert.deepEqual(
      [unknown.code, unknown.reason],
      [1008, '{"type":"error","error":"Job not found"}'],
    );
    const invalid = await watchRaw("/v2/batch/scrape/nope", "k");
    assert.deepEqual([invalid.code, invalid.reason], [1008, "Invalid job ID"]);
  });

  it("cancelCrawl returns, and the cancelled crawl's status ends without a `next`", async () => {
    const { id } = await sdk().startCrawl(`${t.site.url}/`, { limit: 50, delay: 2 });
    assert.equal(await sdk().cancelCrawl(id), true);
    const status = await sdk().getCrawlStatus(id);
    assert.equal(status.status, "cancelled");
    const raw = (await (await fetch(`${t.server.url}/v2/crawl/${id}`)).json()) as object;
    assert.equal("next" in raw, false);
    const again = await fetch(`${t.server.url}/v2/crawl/${id}`, { method: "DELETE" });
    assert.deepEqual([again.status, await again.json()], [200, { status: "cancelled" }]);
  });

  it("batchScrape scrapes every URL; invalid ones are listed when asked to ignore them", async () => {
    const urls = [`${t.site.url}/article`, `${t.site.url}/tabs`, `${t.site.url}/article`];
    const job = await sdk().batchScrape(urls, {
      options: { formats: ["markdown"] },
      pollInterval: 1,
      timeout: 120,
    });
    assert.equal(job.status, "completed");
    assert.deepEqual(sourceURLs(job.data), ["/article", "/article", "/tabs"]);
    const cancelDone = await fetch(`${t.server.url}/v2/batch/scrape/${job.id}`, {
      method: "DELETE",
    });
    assert.deepEqual(
      [cancelDone.status, await cancelDone.json()],
      [409, { error: "Crawl is already completed" }],
    );
    const started = await sdk().startBatchScrape([`${t.site.url}/form`, "not a url"], {
      ignoreInvalidURLs: true,
    });
    assert.deepEqual(started.invalidURLs, ["not a url"]);
  });

  it("a zero-data-retention batch returns its documents and keeps them an hour, not a day", async () => {
    const job = await sdk().batchScrape([`${t.site.url}/article`], {
      options: { formats: ["markdown"] },
      zeroDataRetention: true,
      pollInterval: 1,
      timeout: 120,
    });
    assert.equal(job.status, "completed");
    assert.match(job.data[0]?.markdown ?? "", /known content/);
    const hoursLeft = (Date.parse(job.expiresAt ?? "") - Date.now()) / 3_600_000;
    assert.ok(hoursLeft > 0.9 && hoursLeft <= 1, `expires in ${hoursLeft} h`);
  });

  it("map lists the site's pages, ranked by `search`", async () => {
    const all = await sdk().map(`${t.site.url}/`);
    const paths = all.links.map((l) => new URL(l.url).pathname);
    for (const page of ["/article", "/form", "/tabs", "/long"]) assert.ok(paths.includes(page));
    const ranked = await sdk().map(`${t.site.url}/`, { search: "tabs" });
    assert.equal(new URL(ranked.links[0]?.url ?? "").pathname, "/tabs");
    const limited = await sdk().map(`${t.site.url}/`, { limit: 2 });
    assert.equal(limited.links.length, 2);
  });

  it("refuses bad input with the Firecrawl envelope", async () => {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${t.server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const badRegex = await post("/v2/crawl", { url: t.site.url, includePaths: ["("] });
    assert.equal(badRegex.status, 400);
    assert.match(String(badRegex.body.error), /^Invalid includePaths pattern "\(": /);
    const badLimit = await post("/v2/crawl", { url: t.site.url, limit: 0 });
    assert.deepEqual([badLimit.status, badLimit.body.error], [400, "Bad Request"]);
    const unknownKey = await post("/v2/crawl", { url: t.site.url, nope: 1 });
    assert.match(String(unknownKey.body.error), /^Unrecognized key in body/);
    const badBatch = await post("/v2/batch/scrape", { urls: ["not a url"] });
    assert.equal(badBatch.status, 400);
    const unknown = await fetch(`${t.server.url}/v2/crawl/01900000-0000-7000-8000-000000000000`);
    assert.deepEqual(
      [unknown.status, await unknown.json()],
      [404, { success: false, error: "Job not found" }],
    );
    const badId = await fetch(`${t.server.url}/v2/crawl/nope`);
    assert.equal(badId.status, 400);
    const cancelUnknown = await fetch(
      `${t.server.url}/v2/crawl/01900000-0000-7000-8000-000000000000`,
      {
        method: "DELETE",
      },
    );
    assert.deepEqual(
      [cancelUnknown.status, await cancelUnknown.json()],
      [404, { error: "Job not found" }],
    );
  });

  it("refuses a private target under the default policy, before any job exists", async () => {
    const strict = await startSkiff({ ALLOW_PRIVATE_TARGETS: "false" });
    try {
      for (const [path, body] of [
        ["/v2/crawl", { url: "http://127.0.0.1:9/" }],
        ["/v2/map", { url: "http://127.0.0.1:9/" }],
        ["/v2/batch/scrape", { urls: ["http://127.0.0.1:9/"], ignoreInvalidURLs: false }],
      ] as const) {
        const res = await fetch(`${strict.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        const reply = (await res.json()) as { success: boolean; error: string };
        assert.equal(res.status, 403, path);
        assert.equal(reply.success, false);
        assert.match(
          reply.error,
          /^Blocked insecure target URL: 127\.0\.0\.1 resolves to 127\.0\.0\.1/,
        );
      }
      // A batch that asks for a list gets the refused URL there, in the caller's spelling.
      const batch = (body: object) =>
        postJson<Record<string, unknown>>(`${strict.url}/v2/batch/scrape`, body);
      const listed = await batch({
        urls: ["HTTP://127.0.0.1:9/", "http://192.0.2.1/"],
        ignoreInvalidURLs: true,
      });
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      assert.deepEqual(listed.body.invalidURLs, ["HTTP://127.0.0.1:9/"]);
      await fetch(`${strict.url}/v2/batch/scrape/${String(listed.body.id)}`, { method: "DELETE" });
      const none = await batch({ urls: ["http://127.0.0.1:9/"] });
      assert.deepEqual([none.status, none.body.error], [400, "No valid URLs provided"]);
    } finally {
      await strict.close();
    }
  });
});

/** Every frame a raw WebSocket client gets on `path`, and how the server closed it. */
function watchRaw(path: string, key: string) {
  const ws = new WebSocket(`${t.server.url.replace(/^http/, "ws")}${path}`, key);
  const frames: { type?: string; data?: unknown }[] = [];
  ws.on("message", (data: Buffer) => frames.push(JSON.parse(data.toString()) as { type?: string }));
  return new Promise<{ frames: typeof frames; code: number; reason: string; protocol: string }>(
    (resolve, reject) => {
      ws.once("error", reject);
      ws.once("close", (code: number, reason: Buffer) =>
        resolve({ frames, code, reason: reason.toString(), protocol: ws.protocol }),
      );
    },
  );
}
