// `/v2/map` on the generated site: what each option puts in the list, and what it fetched.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SITEMAP_ONLY, startCrawlSite, type CrawlSite } from "./fixtures/crawl-site.ts";
import { postJson, startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

let server: RunningSkiff;
let site: CrawlSite;
before(async () => {
  [server, site] = await Promise.all([startSkiff(), startCrawlSite()]);
});
after(() => Promise.all([server.close(), site.close()]));

interface MapReply {
  success: boolean;
  links: { url: string; title?: string }[];
  error?: string;
}

/** Maps the site from `/`; the links as paths ("" is the root), in the order given. */
async function map(options: Record<string, unknown> = {}) {
  site.reset();
  const reply = await postJson<MapReply>(`${server.url}/v2/map`, {
    url: `${site.url}/`,
    ...options,
  });
  const paths = (reply.body.links ?? []).map((l) => l.url.replace(site.url, ""));
  return { status: reply.status, body: reply.body, paths };
}

const sorted = (paths: string[]) => [...paths].sort();
const SITEMAP_PAGES = [...SITEMAP_ONLY, "/docs/a", "/blog/post-1"];
/** What `/` links to, as map normalizes it: no query, no trailing slash, no fragment. */
const SEED_LINKS = ["/docs", "/blog", "/shop", "/about", "/docs/a", "/private/secret"];

describe("/v2/map on a 200-page site", () => {
  it("by default: the sitemaps' pages (index and child), the seed and its links; no walk", async () => {
    const { paths, body } = await map();
    assert.deepEqual(
      sorted(paths),
      sorted(["", ...new Set([...SITEMAP_PAGES, ...SEED_LINKS, "/private/keys"])]),
    );
    assert.equal(body.links.find((l) => l.url === site.url)?.title, "Page /");
    assert.deepEqual(sorted(site.requests), [
      "/",
      "/robots.txt",
      "/sitemap.xml",
      "/sitemaps/pages.xml",
    ]);
  });

  it("sitemap only: the sitemaps' pages, and no page fetched", async () => {
    const { paths } = await map({ sitemap: "only" });
    assert.deepEqual(sorted(paths), sorted(SITEMAP_PAGES));
    assert.ok(!site.requests.includes("/"));
  });

  it("sitemap skip: a shallow walk of the seed's pages still finds links, two hops out", async () => {
    const { paths } = await map({ sitemap: "skip" });
    for (const path of ["/blog/page/2", "/shop/category-1", "/shop/category-10", "/docs/guide/20"])
      assert.ok(paths.includes(path), `${path} found on a page the seed links to`);
    assert.ok(!paths.some((p) => p.startsWith("/hidden/")), "no sitemap page");
    assert.ok(!paths.includes("/shop/category-1/item-1"), "three hops is too far");
    assert.ok(!site.requests.some((p) => p.startsWith("/sitemap")), "no sitemap fetched");
    const subdomain = site.url.replace("//", "//help.");
    assert.ok(paths.includes(subdomain), "includeSubdomains (the default) keeps help.site.test");
    const without = await map({ sitemap: "skip", includeSubdomains: false });
    assert.deepEqual(sorted(without.paths), sorted(paths.filter((p) => p !== subdomain)));
  });

  it("ignoreQueryParameters: false keeps URLs that differ only by their query", async () => {
    const kept = await map({ ignoreQueryParameters: false });
    assert.ok(kept.paths.includes("/docs/a?ref=1") && kept.paths.includes("/docs/a?ref=2"));
    const merged = await map();
    assert.ok(!merged.paths.some((p) => p.includes("?")));
  });

  it("search ranks the links; limit cuts the list", async () => {
    const ranked = await map({ sitemap: "skip", search: "about" });
    assert.equal(ranked.paths[0], "/about");
    const limited = await map({ limit: 5 });
    assert.equal(limited.paths.length, 5);
  });

  it("location's languages go out as Accept-Language on every fetch", async () => {
    await map({ location: { languages: ["de-DE", "de"] } });
    assert.ok(site.languages.length >= 4);
    assert.deepEqual([...new Set(site.languages)], ["de-DE,de"]);
    await map({ location: { country: "FR" } });
    assert.deepEqual([...new Set(site.languages)], ["fr-FR"]);
    await map();
    assert.ok(!site.languages.some((l) => /de|fr/.test(l)), "none without a location");
  });

  it("timeout: a map that cannot finish in time answers 408", async () => {
    const slow = await map({ sitemap: "skip", timeout: 1 });
    assert.equal(slow.status, 408);
    assert.equal(slow.body.success, false);
    assert.match(String(slow.body.error), /^The map operation timed out before completing/);
  });
});
