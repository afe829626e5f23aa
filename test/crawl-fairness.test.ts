// A team's big crawl cannot starve other teams: with keys on, another team's scrape still finds a
// browser slot at once, and its batch is worked beside the crawl instead of after it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startCrawlSite, type CrawlSite } from "./fixtures/crawl-site.ts";
import { startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

const ADMIN_KEY = "admin-key-for-the-fairness-test-0123456789";

let server: RunningSkiff;
let site: CrawlSite;
before(async () => {
  [server, site] = await Promise.all([
    // Two job workers; the third browser slot stays free for /v2/scrape.
    startSkiff({ AUTH: "keys", ADMIN_API_KEY: ADMIN_KEY, SCRAPE_CONCURRENCY: "3" }),
    startCrawlSite({ slowMs: 100 }),
  ]);
});
after(() => Promise.all([server.close(), site.close()]));

async function call<T>(method: string, path: string, key: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const reply = (await res.json()) as T;
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(reply)}`);
  return reply;
}

async function teamKey(name: string): Promise<string> {
  const team = await call<{ apiKey: string }>("POST", "/admin/v1/teams", ADMIN_KEY, {
    name,
    credits: 10_000,
  });
  return team.apiKey;
}

interface Status {
  status: string;
  completed: number;
  total: number;
}

describe("fairness between teams", () => {
  it("another team's scrape and batch run while a 200-page crawl holds the job workers", async () => {
    const [crawler, other] = await Promise.all([teamKey("crawler"), teamKey("other")]);
    const crawl = await call<{ id: string }>("POST", "/v2/crawl", crawler, {
      url: `${site.url}/`,
      limit: 1000,
      scrapeOptions: { formats: ["markdown"], timeout: 3000 },
    });
    const crawlStatus = () => call<Status>("GET", `/v2/crawl/${crawl.id}?limit=1`, crawler);
    // Wait until the crawl has pages on both workers and a long queue: first come, first served,
    // the other team's pages would wait for all of that queue.
    let before = await crawlStatus();
    for (let i = 0; before.total - before.completed < 40 && i < 300; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      before = await crawlStatus();
    }
    assert.ok(before.total - before.completed >= 40, JSON.stringify(before));

    const started = performance.now();
    const scrape = await call<{ data: { metadata: { concurrencyQueueDurationMs?: number } } }>(
      "POST",
      "/v2/scrape",
      other,
      { url: `${site.url}/about`, formats: ["markdown"] },
    );
    assert.ok(
      (scrape.data.metadata.concurrencyQueueDurationMs ?? 0) < 500,
      `the scrape waited ${scrape.data.metadata.concurrencyQueueDurationMs} ms for a browser`,
    );

    const urls = ["/docs/a", "/docs/b", "/about", "/shop/"].map((p) => `${site.url}${p}`);
    const batch = await call<{ id: string }>("POST", "/v2/batch/scrape", other, { urls });
    let batchStatus: Status;
    do {
      await new Promise((resolve) => setTimeout(resolve, 100));
      batchStatus = await call<Status>("GET", `/v2/batch/scrape/${batch.id}?limit=1`, other);
    } while (batchStatus.status === "scraping");
    const seconds = (performance.now() - started) / 1000;
    assert.equal(batchStatus.status, "completed");
    assert.equal(batchStatus.completed, 4);

    const crawlNow = await crawlStatus();
    assert.equal(crawlNow.status, "scraping", "the other team did not wait for the crawl's end");
    const crawled = crawlNow.completed - before.completed;
    assert.ok(
      crawled < 20,
      `the crawl did ${crawled} pages while the other team's scrape and 4-page batch ran (${seconds} s), with ${before.total - before.completed} queued ahead of them`,
    );
    await call("DELETE", `/v2/crawl/${crawl.id}`, crawler);
  });
});
