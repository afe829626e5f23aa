// POST /v2/search scraping its results (the local test site), through the JS SDK, and with AUTH=keys.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Firecrawl from "@mendable/firecrawl-js";
import { postJson, startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";
import { webResults } from "./fixtures/searxng.ts";
import { useSearchServer } from "./helpers/search-harness.ts";

const ADMIN_KEY = "admin-key-for-the-search-test-0123456789";

const t = useSearchServer();
const { search, fresh } = t;

describe("POST /v2/search: scraping the results", () => {
  it("scrapes every result in parallel, spreads the document in, and a failing page gives metadata.error", async () => {
    const delays = [700, 800, 900, 1000];
    const query = fresh({
      general: [
        ...delays.map((ms, i) => ({
          url: `${t.site.url}/slow?ms=${ms}&round=${t.nextRound}`,
          title: `Slow ${i}`,
          content: `Slow page ${i}`,
        })),
        { url: "http://broken.invalid/page", title: "Broken", content: "never loads" },
      ],
    });
    const started = Date.now();
    const reply = await search({ query, scrapeOptions: { formats: ["markdown"] } });
    const elapsed = Date.now() - started;
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const web = reply.body.data.web as Record<string, any>[];
    assert.equal(web.length, 5);
    for (const [i, ms] of delays.entries()) {
      assert.equal(web[i]?.title, `Slow ${i}`, "the result's title wins over the page's");
      assert.equal(web[i]?.description, `Slow page ${i}`);
      assert.match(web[i]?.markdown ?? "", new RegExp(`Slow page after ${ms} ms`));
      assert.equal(web[i]?.metadata?.statusCode, 200);
    }
    const sum = delays.reduce((a, b) => a + b, 0);
    assert.ok(elapsed < sum, `in parallel: ${elapsed} ms < ${sum} ms`);
    const broken = web[4];
    assert.equal(broken?.markdown, undefined);
    assert.equal(broken?.metadata?.statusCode, 500);
    assert.equal(broken?.metadata?.proxyUsed, "basic");
    assert.match(String(broken?.metadata?.error), /\S/);
    assert.equal(reply.body.creditsUsed, 2 + 4, "2 for the search, 1 per page scraped");
    const stored = await fetch(`${t.server.url}/v2/scrape/${web[0]?.metadata?.scrapeId}`);
    assert.equal(stored.status, 200, "each scrape is stored like any other");
    const doc = (await stored.json()) as { data: { markdown: string } };
    assert.match(doc.data.markdown, /Slow page after 700 ms/);
  });

  it("no formats means no scraping", async () => {
    const query = fresh({ general: webResults(1, () => `${t.site.url}/article?r=${t.nextRound}`) });
    const before = t.site.requests.length;
    const reply = await search({ query, scrapeOptions: { onlyMainContent: true } });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.data.web[0].markdown, undefined);
    assert.equal(t.site.requests.length, before);
  });

  it("a scrape that would outlive the search's timeout fails alone", async () => {
    const query = fresh({
      general: [
        { url: `${t.site.url}/article?r=${t.nextRound}`, title: "Fast" },
        { url: `${t.site.url}/slow?ms=20000&r=${t.nextRound}`, title: "Too slow" },
      ],
    });
    const started = Date.now();
    const reply = await search({ query, timeout: 3000, scrapeOptions: { formats: ["markdown"] } });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.ok(Date.now() - started < 10_000, "bounded by the search's timeout");
    assert.match(reply.body.data.web[0].markdown, /known content/);
    assert.equal(reply.body.data.web[1].metadata.statusCode, 500);
    assert.match(String(reply.body.data.web[1].metadata.error), /\S/);
  });
});

describe("@mendable/firecrawl-js search", () => {
  const sdk = () => new Firecrawl({ apiUrl: t.server.url, apiKey: "" });

  it("search(query, {limit}) returns the web results", async () => {
    const query = fresh({ general: webResults(12, (i) => `https://example.org/${i}`) });
    const result = await sdk().search(query, { limit: 4 });
    assert.equal(result.web?.length, 4);
    assert.deepEqual(result.web?.[1], {
      url: "https://example.org/1",
      title: "Result 1",
      description: "Snippet for result 1",
    });
  });

  it("search with scrapeOptions returns documents with markdown", async () => {
    const query = fresh({
      general: webResults(2, (i) => `${t.site.url}/article?sdk=${t.nextRound}-${i}`),
    });
    const result = await sdk().search(query, {
      limit: 2,
      scrapeOptions: { formats: ["markdown"] },
    });
    assert.equal(result.web?.length, 2);
    for (const doc of result.web ?? []) {
      assert.match((doc as { markdown?: string }).markdown ?? "", /known content/);
    }
  });
});

describe("without a backend, and with AUTH=keys", () => {
  let keyed: RunningSkiff;
  before(async () => {
    keyed = await startSkiff({
      AUTH: "keys",
      ADMIN_API_KEY: ADMIN_KEY,
      TEAM_MAX_CONCURRENT_SCRAPES: "2",
      SEARXNG_ENDPOINT: t.searxng.url,
      SEARXNG_CATEGORIES: "general,it",
    });
  });
  after(() => keyed.close());

  const call = async (path: string, key: string, body?: unknown) => {
    const res = await fetch(`${keyed.url}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const team = async (credits: number) => {
    const reply = await call("/admin/v1/teams", ADMIN_KEY, { name: `t${credits}`, credits });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return String(reply.body.apiKey);
  };
  const remaining = async (key: string) =>
    Number((await call("/v2/team/credit-usage", key)).body.data.remainingCredits);

  it("charges the search and its scrapes to the team, at most its scrape concurrency at once", async () => {
    const key = await team(100);
    const query = fresh({
      general: [
        ...webResults(9, (i) => `https://example.org/${i}`),
        ...[0, 1, 2, 3].map((i) => ({
          url: `${t.site.url}/slow?ms=600&k=${t.nextRound}-${i}`,
          title: "s",
        })),
      ],
    });
    const before = await remaining(key);
    const started = Date.now();
    const reply = await call("/v2/search", key, {
      query,
      limit: 13,
      includeDomains: ["127.0.0.1"],
      scrapeOptions: { formats: ["markdown"] },
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.data.web.length, 4);
    assert.deepEqual(
      [...new Set(t.searxng.queries.map((q) => q.categories))],
      ["general,it"],
      "SEARXNG_CATEGORIES for web",
    );
    assert.ok(Date.now() - started >= 1200, "4 pages of 600 ms, 2 at a time");
    assert.equal(reply.body.creditsUsed, 2 + 4);
    assert.equal(before - (await remaining(key)), 6, "the ledger agrees with creditsUsed");

    const many = fresh({ general: webResults(11, (i) => `https://example.org/${i}`) });
    const second = await call("/v2/search", key, { query: many, limit: 20 });
    assert.equal(second.body.creditsUsed, 4);
    assert.equal(before - (await remaining(key)), 10);
  });

  it("web and news results share the team's scrape limit: none is refused a slot", async () => {
    const key = await team(100);
    const slow = (i: number) => ({
      url: `${t.site.url}/slow?ms=600&k=${t.nextRound}-${i}`,
      title: `s${i}`,
    });
    const query = fresh({ general: [slow(0), slow(1)], news: [slow(2), slow(3)] });
    const started = Date.now();
    const reply = await call("/v2/search", key, {
      query,
      sources: ["web", "news"],
      scrapeOptions: { formats: ["markdown"] },
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const docs = [...reply.body.data.web, ...reply.body.data.news] as Record<string, any>[];
    assert.deepEqual(
      docs.map((d) => (d.metadata as { error?: string } | undefined)?.error ?? null),
      [null, null, null, null],
      "a second pool would have run 4 at once against a limit of 2 and drawn 429s",
    );
    for (const doc of docs) assert.match(String(doc.markdown), /Slow page after 600 ms/);
    assert.ok(Date.now() - started >= 1200, "4 pages of 600 ms, 2 at a time");
  });

  it("402 for a team with no credits, before the backend is asked", async () => {
    const key = await team(0);
    const query = fresh({ general: webResults(1, () => "https://example.org/") });
    const reply = await call("/v2/search", key, { query });
    assert.equal(reply.status, 402);
    assert.match(reply.body.error, /Insufficient credits/);
    assert.equal(t.searxng.queries.length, 0);
  });

  it("503 naming SEARXNG_ENDPOINT when no backend is configured", async () => {
    const bare = await startSkiff();
    try {
      const reply = await postJson(`${bare.url}/v2/search`, { query: "anything" });
      assert.equal(reply.status, 503);
      assert.equal(reply.body.code, "SEARCH_NOT_CONFIGURED");
      assert.match(reply.body.error, /SEARXNG_ENDPOINT/);
    } finally {
      await bare.close();
    }
  });
});
