// Each crawl option of spec §2.1/§2.3 on a generated 200-page site: the exact set of pages a crawl
// stores, and what it fetched, never fetched, or reported as an error.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  ALL_PAGES,
  DISALLOWED,
  SITEMAP_ONLY,
  linkedWithin,
  startCrawlSite,
  type CrawlSite,
} from "./fixtures/crawl-site.ts";
import { postJson, startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

let server: RunningSkiff;
let site: CrawlSite;
before(async () => {
  [server, site] = await Promise.all([
    startSkiff({ SCRAPE_CONCURRENCY: "5" }),
    startCrawlSite({ slowMs: 8_000 }),
  ]);
});
after(() => Promise.all([server.close(), site.close()]));

interface Outcome {
  pages: string[];
  errors: { url: string; code?: string }[];
  robotsBlocked: string[];
  completed: number;
  total: number;
}

const FAST = { scrapeOptions: { formats: ["markdown"], timeout: 3000 } };

/** Runs a crawl of a site to its end; the stored pages as sorted paths (with their query). */
async function crawl(
  options: Record<string, unknown>,
  seed = "/",
  on: CrawlSite = site,
): Promise<Outcome> {
  on.reset();
  const started = await postJson<{ id: string }>(`${server.url}/v2/crawl`, {
    url: `${on.url}${seed}`,
    ...FAST,
    ...options,
  });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const id = started.body.id;
  const status = await waitForCrawl(id);
  const pages: string[] = [];
  for (let skip = 0; ; skip += 1000) {
    const body = (await (
      await fetch(`${server.url}/v2/crawl/${id}?skip=${skip}&limit=1000`)
    ).json()) as {
      data: { metadata: { sourceURL: string } }[];
    };
    pages.push(...body.data.map((d) => relative(d.metadata.sourceURL)));
    if (body.data.length < 1000) break;
  }
  const errors = (await (await fetch(`${server.url}/v2/crawl/${id}/errors`)).json()) as Omit<
    Outcome,
    "pages"
  >;
  return { ...errors, pages: pages.sort(), completed: status.completed, total: status.total };
}

interface CrawlStatus {
  status: string;
  completed: number;
  total: number;
}

/** Polls a crawl until it leaves "scraping"; asserts it completed. */
async function waitForCrawl(id: string): Promise<CrawlStatus> {
  for (let i = 0; i < 600; i++) {
    const response = await fetch(`${server.url}/v2/crawl/${id}?limit=1`);
    const status = (await response.json()) as CrawlStatus;
    if (status.status !== "scraping") {
      assert.equal(status.status, "completed");
      return status;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`crawl ${id} still running after two minutes`);
}

const relative = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
};
const sorted = (paths: string[]) => [...paths].sort();
/** How often each path was fetched from the site during the last crawl. */
const fetchCounts = () => {
  const counts = new Map<string, number>();
  for (const path of site.requests) counts.set(path, (counts.get(path) ?? 0) + 1);
  return counts;
};

describe("crawl options on a 200-page site", () => {
  it("by default: every linked and sitemap page once; robots.txt, externals and files kept out", async () => {
    const outcome = await crawl({ limit: 1000 });
    const expected = [
      ...ALL_PAGES.filter((p) => !DISALLOWED.includes(p)),
      "/docs/a?ref=1",
      "/docs/a?ref=2",
      "/gone",
    ];
    assert.ok(expected.length >= 200);
    assert.deepEqual(outcome.pages, sorted(expected));
    assert.deepEqual([outcome.completed, outcome.total], [expected.length, expected.length]);
    assert.deepEqual(
      sorted(outcome.robotsBlocked),
      sorted(DISALLOWED.map((p) => `${site.url}${p}`)),
    );
    assert.deepEqual(
      sorted(outcome.errors.map((e) => `${relative(e.url)} ${e.code ?? ""}`)),
      ["/loop-a SCRAPE_SITE_ERROR", "/slow SCRAPE_TIMEOUT"].sort(),
      JSON.stringify(outcome.errors),
    );
    const counts = fetchCounts();
    for (const path of DISALLOWED) assert.equal(counts.get(path), undefined, `${path} was fetched`);
    assert.deepEqual(site.externalRequests, [], "the external host was never fetched");
    assert.deepEqual(site.subdomainRequests, [], "nor the subdomain");
    assert.equal(counts.get("/logo.png"), undefined);
    for (const path of ALL_PAGES.filter((p) => p !== "/docs/a" && !DISALLOWED.includes(p))) {
      assert.equal(counts.get(path), 1, `${path} fetched ${counts.get(path)} times`);
    }
    assert.equal(counts.get("/robots.txt"), 1, "robots.txt read once");
  });

  it("includePaths and excludePaths (regexes on the path); the seed's links are followed anyway", async () => {
    const blog = await crawl({ includePaths: ["^/blog/post-"] });
    assert.deepEqual(blog.pages, sorted(ALL_PAGES.filter((p) => p.startsWith("/blog/post-"))));
    assert.ok(blog.errors.some((e) => relative(e.url) === "/" && e.code === "CRAWL_DENIAL"));
    const noShop = await crawl({
      excludePaths: ["^/shop", "^/blog", "^/hidden", "^/docs/guide"],
      sitemap: "skip",
    });
    assert.deepEqual(
      noShop.pages,
      sorted([
        "/",
        "/about",
        "/docs/",
        "/docs/a",
        "/docs/b",
        "/docs/a?ref=1",
        "/docs/a?ref=2",
        "/gone",
      ]),
    );
  });

  it("regexOnFullURL matches the whole URL, query included", async () => {
    const outcome = await crawl({
      includePaths: ["ref=2$"],
      regexOnFullURL: true,
      sitemap: "skip",
    });
    assert.deepEqual(outcome.pages, ["/docs/a?ref=2"]);
  });

  it("maxDiscoveryDepth: pages at the depth are scraped, not expanded; sitemap pages are depth 0", async () => {
    const outcome = await crawl({ maxDiscoveryDepth: 1 });
    const depthOne = linkedWithin(1).filter((p) => !DISALLOWED.includes(p));
    // The sitemap's /docs/a and /blog/post-1 are depth 0: their own links are depth 1.
    const fromSitemap = [...SITEMAP_ONLY, "/docs/a", "/blog/post-1", "/docs/b", "/blog/post-2"];
    const expected = new Set([...depthOne, "/docs/a?ref=1", "/docs/a?ref=2", ...fromSitemap]);
    assert.deepEqual(outcome.pages, sorted([...expected]));
  });

  it("sitemap only: the seed and the sitemaps' pages, no links followed; skip: no sitemap pages", async () => {
    const only = await crawl({ sitemap: "only" });
    assert.deepEqual(only.pages, sorted(["/", ...SITEMAP_ONLY, "/docs/a", "/blog/post-1"]));
    const skip = await crawl({ sitemap: "skip", includePaths: ["^/(hidden|docs)/"] });
    assert.ok(!skip.pages.some((p) => p.startsWith("/hidden/")));
    assert.equal(fetchCounts().get("/sitemap.xml"), undefined, "no sitemap fetched");
  });

  it("limit holds the crawl to that many pages", async () => {
    const outcome = await crawl({ limit: 12 });
    assert.equal(outcome.pages.length, 12);
    assert.deepEqual([outcome.completed, outcome.total], [12, 12]);
  });

  it("ignoreQueryParameters and deduplicateSimilarURLs decide what one page is", async () => {
    const docs = { includePaths: ["^/docs/(a|b|$)"], sitemap: "skip" };
    // "/" links /docs/a?ref=1 before /docs/ links /docs/a: the first one found is the page.
    const ignored = await crawl({ ...docs, ignoreQueryParameters: true });
    assert.deepEqual(ignored.pages, sorted(["/docs/", "/docs/a?ref=1", "/docs/b"]));
    const similar = await crawl(docs);
    const similarPages = ["/docs/", "/docs/a", "/docs/a?ref=1", "/docs/a?ref=2", "/docs/b"];
    assert.deepEqual(
      similar.pages,
      sorted(similarPages),
      "/docs/a/index.html and /docs/b/ are one",
    );
    const distinct = await crawl({ ...docs, deduplicateSimilarURLs: false });
    const all = [
      "/docs/",
      "/docs/a",
      "/docs/a/index.html",
      "/docs/a?ref=1",
      "/docs/a?ref=2",
      "/docs/b",
      "/docs/b/",
    ];
    assert.deepEqual(distinct.pages, sorted(all));
  });

  it("ignoreRobotsTxt fetches what robots.txt disallows", async () => {
    const outcome = await crawl({
      ignoreRobotsTxt: true,
      includePaths: ["^/private/"],
      sitemap: "skip",
    });
    assert.deepEqual(outcome.pages, sorted(DISALLOWED));
  });

  it("a seed below the root stays in its folder unless crawlEntireDomain", async () => {
    // The sitemap's pages pass the same rules: out of the folder, they are left out.
    const scoped = await crawl({}, "/docs/");
    assert.deepEqual(scoped.pages, sorted(ALL_PAGES.filter((p) => p.startsWith("/docs/"))));
    const whole = await crawl(
      { crawlEntireDomain: true, excludePaths: ["^/docs/guide"] },
      "/docs/",
    );
    const outside = ["/docs/", "/docs/a", "/docs/b", ...SITEMAP_ONLY, "/blog/", "/blog/post-1"];
    for (const page of outside)
      assert.ok(whole.pages.includes(page), `${page} in the whole domain`);
  });

  it("allowExternalLinks follows a link to another host (not its homepage)", async () => {
    const outcome = await crawl(
      {
        allowExternalLinks: true,
        includePaths: ["^/shop/category-1(/|$)"],
        excludePaths: [],
        sitemap: "skip",
      },
      "/shop/",
    );
    assert.ok(outcome.pages.includes("/offer"), JSON.stringify(outcome.pages));
    assert.deepEqual([...new Set(site.externalRequests)], ["/offer"]);
  });

  it("allowSubdomains follows links to the site's subdomains, under the same path rules", async () => {
    const options = { sitemap: "skip", crawlEntireDomain: true, includePaths: ["^/(about|faq)?$"] };
    const sameHost = await crawl(options, "/about");
    assert.deepEqual(sameHost.pages, ["/", "/about"]);
    assert.deepEqual(site.subdomainRequests, []);
    const withSubdomains = await crawl({ ...options, allowSubdomains: true }, "/about");
    // help.site.test's / and /faq beside the site's own / and /about.
    assert.deepEqual(withSubdomains.pages, ["/", "/", "/about", "/faq"]);
    assert.deepEqual(sorted(site.subdomainRequests), ["/", "/faq"]);
  });

  it("robots.txt's Crawl-delay paces the crawl one page at a time", async () => {
    const slowSite = await startCrawlSite({ crawlDelay: 1 });
    try {
      const started = performance.now();
      const body = { url: `${slowSite.url}/`, ...FAST, includePaths: ["^/docs/(a|b)$"] };
      const response = await postJson<{ id: string }>(`${server.url}/v2/crawl`, {
        ...body,
        sitemap: "skip",
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      await waitForCrawl(response.body.id);
      const pages = slowSite.requests.filter((p) => p !== "/robots.txt");
      assert.deepEqual(sorted(pages), ["/", "/docs/a?ref=1", "/docs/a?ref=2", "/docs/b"]);
      assert.equal(slowSite.peakConcurrency, 1);
      const seconds = (performance.now() - started) / 1000;
      assert.ok(seconds >= 3, `four page starts a second apart took ${seconds.toFixed(1)} s`);
    } finally {
      await slowSite.close();
    }
  });

  it("a crawl is one visitor: its pages share cookies, another crawl starts without them", async () => {
    const options = {
      maxConcurrency: 1,
      includePaths: ["^/shop/category-1(/|$)"],
      sitemap: "skip",
    };
    await crawl(options, "/shop/");
    const first = site.visitors.filter((_, i) => site.requests[i] !== "/robots.txt");
    assert.equal(first.length, 10, JSON.stringify(site.requests));
    assert.equal(first[0], "", "the first page meets a new visitor");
    const cookie = first[1];
    assert.match(cookie ?? "", /^v\d+$/);
    assert.deepEqual(new Set(first.slice(1)), new Set([cookie]), "one cookie jar for the crawl");
    await crawl(options, "/shop/");
    const second = site.visitors.filter((_, i) => site.requests[i] !== "/robots.txt");
    assert.equal(second[0], "", "another crawl shares nothing with the first");
    assert.ok(!second.includes(cookie ?? ""), "not even the cookie of the first crawl");
  });

  it("maxConcurrency and delay pace the crawl", async () => {
    // Pages slow enough that fetches running together overlap at the server on a loaded
    // machine too (at the default 20 ms, four at once were once seen one at a time).
    const slowPages = await startCrawlSite({ pageLatencyMs: 150 });
    try {
      const shop = { includePaths: ["^/shop/category-(1|2)(/|$)"] };
      const one = await crawl({ maxConcurrency: 1, ...shop }, "/shop/", slowPages);
      assert.equal(one.pages.length, 18);
      assert.equal(slowPages.peakConcurrency, 1);
      const four = await crawl({ maxConcurrency: 4, ...shop }, "/shop/", slowPages);
      assert.equal(four.pages.length, 18);
      const peak = slowPages.peakConcurrency;
      assert.ok(peak > 1 && peak <= 4, `peak ${peak}`);
    } finally {
      await slowPages.close();
    }
    const started = performance.now();
    const paced = await crawl({ delay: 0.5, includePaths: ["^/docs/(a|b)$"], sitemap: "skip" });
    assert.deepEqual(paced.pages, ["/docs/a?ref=1", "/docs/a?ref=2", "/docs/b"]);
    assert.ok(
      performance.now() - started >= 1_000,
      "four page starts (the seed's too), half a second apart",
    );
  });
});
