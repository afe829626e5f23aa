// POST /v2/search against a SearXNG-shaped server on loopback, scraping the local test site.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { webResults, type FakeSearxng } from "./fixtures/searxng.ts";
import { useSearchServer } from "./helpers/search-harness.ts";

const t = useSearchServer();
const { search, fresh } = t;

const queriesFor = (category: string) => t.searxng.queries.filter((q) => q.categories === category);

describe("POST /v2/search: what reaches SearXNG", () => {
  it("sends q with categories and site filters, language, time_range, safesearch, engines, pages", async () => {
    const query = fresh({
      general: webResults(25, (i) => `https://github.com/o/r${i}`),
      news: webResults(3, (i) => `https://news.example.org/${i}`),
      images: webResults(2, (i) => `https://img.example.org/${i}`),
    });
    const reply = await search({
      query,
      limit: 15,
      sources: ["web", "news", "images"],
      categories: ["github", "pdf"],
      includeDomains: ["github.com"],
      lang: "de",
      country: "AT",
      safe: true,
      tbs: "qdr:w",
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const web = queriesFor("general");
    assert.deepEqual(
      web.map((q) => q.pageno),
      ["1", "2"],
      "15 wanted, 10 a page",
    );
    assert.deepEqual(web[0], {
      q: `${query} (site:github.com) filetype:pdf site:github.com`,
      format: "json",
      pageno: "1",
      categories: "general",
      engines: "duckduckgo,brave",
      language: "de-AT",
      time_range: "week",
      safesearch: "2",
    });
    const [news] = queriesFor("news");
    assert.equal(news?.language, "de-AT");
    assert.equal(news?.time_range, undefined, "tbs applies to web only (spec §14)");
    assert.equal(news?.engines, undefined, "SEARXNG_ENGINES is for web only");
    assert.deepEqual(
      queriesFor("images").map((q) => q.pageno),
      ["1", "2"],
      "2 images found, so page 2 is asked; it is empty, which ends the paging",
    );
  });

  it("language from lang and the default country, and from location's country", async () => {
    const cases: [object, string][] = [
      [{}, "en-US"],
      [{ location: "San Francisco,California,United States" }, "en-US"],
      [{ lang: "fr", location: "Paris,France" }, "fr-FR"],
      [{ lang: "de", location: "Berlin,Germany" }, "de-DE"],
      [{ lang: "pt", country: "br" }, "pt-BR"],
    ];
    for (const [extra, language] of cases) {
      const query = fresh({ general: webResults(1, () => "https://example.org/") });
      const reply = await search({ query, ...extra });
      assert.equal(reply.status, 200);
      assert.equal(t.searxng.queries[0]?.language, language, JSON.stringify(extra));
      assert.equal(t.searxng.queries[0]?.safesearch, undefined, "no safe, the instance's default");
    }
  });

  it("maps every tbs form onto time_range, drops results outside a custom range, sorts by date", async () => {
    const now = Date.now();
    const dated = (days: number, i: number) => ({
      url: `https://example.org/${i}`,
      title: `Dated ${i}`,
      content: "x",
      publishedDate: new Date(now - days * 86_400_000).toISOString(),
    });
    const ranges: [string, string][] = [
      ["qdr:h", "day"],
      ["qdr:d", "day"],
      ["qdr:m", "month"],
      ["qdr:y", "year"],
    ];
    for (const [tbs, range] of ranges) {
      fresh({ general: [dated(0, 0)] });
      await search({ query: "t", tbs });
      assert.equal(t.searxng.queries[0]?.time_range, range, tbs);
    }
    const fmt = (d: Date) => `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
    const min = fmt(new Date(now - 5 * 86_400_000));
    const max = fmt(new Date(now - 2 * 86_400_000));
    const query = fresh({ general: [dated(1, 1), dated(3, 2), dated(10, 3), dated(4, 4)] });
    const reply = await search({ query, tbs: `cdr:1,cd_min:${min},cd_max:${max},sbd:1` });
    assert.equal(t.searxng.queries[0]?.time_range, "week", "the smallest range covering cd_min");
    assert.deepEqual(
      reply.body.data.web.map((r: { title: string }) => r.title),
      ["Dated 2", "Dated 4"],
      "inside the range, newest first",
    );
  });
});

describe("POST /v2/search: results", () => {
  it("per-source limit and the web, news and images shapes, with a UUIDv7 id", async () => {
    const query = fresh({
      general: webResults(25, (i) => `https://example.org/${i}`),
      news: [
        {
          url: "https://news.example.org/a",
          title: "Kettle news",
          content: "Kettles are up",
          publishedDate: "2026-11-30T10:00:00",
        },
      ],
      images: [
        {
          url: "https://example.org/gallery",
          title: "A kettle",
          img_src: "https://img.example.org/kettle.jpg",
          resolution: "1920x1080",
        },
      ],
    });
    const reply = await search({ query, limit: 5, sources: ["web", { type: "news" }, "images"] });
    assert.equal(reply.status, 200);
    const { data, id, success, creditsUsed } = reply.body;
    assert.equal(success, true);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(data.web.length, 5);
    assert.deepEqual(data.web[0], {
      url: "https://example.org/0",
      title: "Result 0",
      description: "Snippet for result 0",
    });
    assert.deepEqual(data.news, [
      {
        title: "Kettle news",
        url: "https://news.example.org/a",
        snippet: "Kettles are up",
        date: "2026-11-30T10:00:00",
      },
    ]);
    assert.deepEqual(data.images, [
      {
        title: "A kettle",
        imageUrl: "https://img.example.org/kettle.jpg",
        imageWidth: 1920,
        imageHeight: 1080,
        url: "https://example.org/gallery",
      },
    ]);
    assert.equal(creditsUsed, 2, "7 results: 2 credits");
  });

  it("a source that found nothing is absent from data", async () => {
    const query = fresh({ general: webResults(2, (i) => `https://example.org/${i}`) });
    const reply = await search({ query, sources: ["web", "news"] });
    assert.deepEqual(Object.keys(reply.body.data), ["web"]);
  });

  it("credits: 2 for 1-10 results, 4 for 11-20", async () => {
    for (const [n, credits] of [
      [1, 2],
      [10, 2],
      [11, 4],
      [20, 4],
    ] as const) {
      const query = fresh({ general: webResults(n, (i) => `https://example.org/${i}`) });
      const reply = await search({ query, limit: 20 });
      assert.equal(reply.body.data.web.length, n);
      assert.equal(reply.body.creditsUsed, credits, `${n} results`);
    }
  });

  it("keeps only results inside includeDomains, outside excludeDomains", async () => {
    const hosts = ["https://example.org/a", "https://docs.example.org/b", "https://other.com/c"];
    const urls = async (extra: object) => {
      const query = fresh({ general: hosts.map((url) => ({ url, title: url })) });
      const reply = await search({ query, ...extra });
      return (reply.body.data.web as { url: string }[]).map((r) => r.url);
    };
    assert.deepEqual(await urls({ includeDomains: ["example.org"] }), hosts.slice(0, 2));
    assert.equal(t.searxng.queries[0]?.q?.endsWith(" site:example.org"), true);
    assert.deepEqual(await urls({ excludeDomains: ["DOCS.example.org "] }), [hosts[0], hosts[2]]);
    assert.equal(t.searxng.queries[0]?.q?.endsWith(" -site:docs.example.org"), true);
  });

  it("drops results other endpoints could not scrape with ignoreInvalidURLs", async () => {
    const odd = ["https://example.org/ok", "ftp://files.example.org/x", "not a url"];
    const urls = async (ignoreInvalidURLs: boolean) => {
      const query = fresh({ general: odd.map((url) => ({ url, title: url })) });
      const reply = await search({ query, ignoreInvalidURLs });
      return (reply.body.data.web as { url: string }[]).map((r) => r.url);
    };
    assert.deepEqual(await urls(true), ["https://example.org/ok"]);
    assert.deepEqual(await urls(false), odd);
  });

  it("tags github and research results with their category", async () => {
    const query = fresh({
      general: [
        { url: "https://github.com/a/b", title: "repo" },
        { url: "https://arxiv.org/abs/1", title: "paper" },
        { url: "https://example.org/x.pdf", title: "pdf" },
        { url: "https://example.org/", title: "plain" },
      ],
    });
    const reply = await search({ query, categories: ["research", "pdf"] });
    assert.deepEqual(
      reply.body.data.web.map((r: { category?: string }) => r.category ?? null),
      ["github", "research", "pdf", null],
    );
    assert.match(
      t.searxng.queries[0]?.q ?? "",
      / \(site:arxiv\.org OR .*site:medrxiv\.org\) filetype:pdf$/,
    );
  });

  it("accepts firecrawl-mcp's exact body and drops the cloud-only source", async () => {
    const query = fresh({ general: webResults(3, (i) => `https://example.org/${i}`) });
    const reply = await search({
      query,
      limit: 3,
      sources: ["web", "alexandria"],
      toolDetail: "compact",
      domainTools: false,
      origin: "mcp-claude-code@3.26.0",
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.data.web.length, 3);
    assert.deepEqual(
      t.searxng.queries.map((q) => q.categories),
      ["general"],
    );
  });
});

describe("POST /v2/search: errors", () => {
  it("502 naming the backend for an HTTP error, a 403 (JSON disabled) and a non-JSON answer", async () => {
    const cases: [FakeSearxng["mode"], RegExp][] = [
      ["error", /answered HTTP 500/],
      ["forbidden", /answered HTTP 403 \(is JSON output enabled/],
      ["html", /did not answer with SearXNG's JSON/],
    ];
    for (const [mode, message] of cases) {
      const query = fresh();
      t.searxng.mode = mode;
      const reply = await search({ query });
      assert.equal(reply.status, 502, mode);
      assert.equal(reply.body.success, false);
      assert.equal(reply.body.code, "SEARCH_BACKEND_FAILED");
      assert.ok(reply.body.error.includes(`SearXNG at ${t.searxng.url}`), reply.body.error);
      assert.match(reply.body.error, message);
    }
  });

  it("504 when the backend hangs past the search's timeout", async () => {
    const query = fresh();
    t.searxng.mode = "hang";
    const started = Date.now();
    const reply = await search({ query, timeout: 1000 });
    assert.equal(reply.status, 504);
    assert.equal(reply.body.code, "SEARCH_BACKEND_TIMEOUT");
    assert.match(reply.body.error, /did not answer within the search's timeout of 1000 ms/);
    assert.ok(Date.now() - started < 5000);
  });

  it("400 Invalid request body, with no code and a clear message in details", async () => {
    const cases: [object, RegExp][] = [
      [{ query: "   " }, /query must not be empty/],
      [{ query: "x", limit: 0 }, />=1/],
      [{ query: "x", limit: 101 }, /<=100/],
      [
        { query: "x", sources: ["maps"] },
        /Unknown source "maps": sources are "web", "news" and "images"/,
      ],
      [{ query: "x", sources: [{ type: "news", tbs: "qdr:d" }] }, /Unrecognized key: "tbs"/],
      [
        { query: "x", scrapeOptions: { formats: [{ type: "json", schema: { type: "nope" } }] } },
        /The JSON schema is invalid/,
      ],
      [{ query: "x", bogus: true }, /Unrecognized key: "bogus"/],
      [{ query: "x", tbs: "qdr:x" }, /Unsupported tbs part "qdr:x". Skiff understands qdr:h/],
      [
        { query: "x", includeDomains: ["a.com"], excludeDomains: ["b.com"] },
        /includeDomains and excludeDomains cannot both be specified/,
      ],
      [{ query: "x", safe: "yes" }, /boolean/],
      [{ query: "x", categories: ["developer", "github"] }, /cannot be combined/],
    ];
    t.searxng.queries.length = 0;
    for (const [body, message] of cases) {
      const reply = await search(body);
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.equal(reply.body.success, false);
      assert.equal(reply.body.error, "Invalid request body");
      assert.equal("code" in reply.body, false, "search's own envelope has no code (spec §1.1)");
      const messages = (reply.body.details as { message: string }[]).map((d) => d.message);
      assert.match(messages.join("\n"), message, JSON.stringify(body));
    }
    assert.equal(t.searxng.queries.length, 0, "nothing reached the backend");
  });
});
