import type { WebhookConfig } from "./webhook-config.ts";
import type { CrawlRequest } from "./crawl-request.ts";
import { compilePatterns } from "./crawl-request.ts";
import { scopePrefix } from "./crawl-urls.ts";
import { LinkFilter } from "./link-filter.ts";
import { parseRobots } from "./robots.ts";

/** What a crawl keeps of its request: every option but its scrape options and webhook. */
export type CrawlOptions = Omit<CrawlRequest, "scrapeOptions" | "webhook">;

interface StoredCommon {
  /** The scrape options as the caller sent them; each page's request is parsed from them. */
  scrapeOptions: Record<string, unknown>;
  zeroDataRetention: boolean;
  /** Where files the pages save (screenshots) are served from, as the request saw it. */
  publicBaseUrl: string;
  webhook: WebhookConfig | null;
}

/** A job group's `request` in the store. */
export type StoredJob =
  | (StoredCommon & {
      kind: "crawl";
      crawl: CrawlOptions;
      /** robots.txt as fetched when the crawl started; null when missing or ignored. */
      robotsTxt: string | null;
      robotsSitemaps: string[];
    })
  | (StoredCommon & { kind: "batch" });

/** The crawl's link rules (spec §2.3), with robots.txt unless the crawl ignores it. */
export function crawlFilter(stored: StoredJob & { kind: "crawl" }): LinkFilter {
  const { crawl } = stored;
  const seed = new URL(crawl.url);
  const robots =
    crawl.ignoreRobotsTxt || stored.robotsTxt === null
      ? undefined
      : parseRobots(new URL("/robots.txt", seed).href, stored.robotsTxt);
  return new LinkFilter({
    seed,
    ...compilePatterns(crawl),
    regexOnFullURL: crawl.regexOnFullURL,
    crawlEntireDomain: crawl.crawlEntireDomain,
    allowExternalLinks: crawl.allowExternalLinks,
    allowSubdomains: crawl.allowSubdomains,
    robotsAllow: robots?.allows,
  });
}

/**
 * Where a crawl looks for sitemaps (spec §2.3): robots.txt's `Sitemap:` lines, `sitemap.xml` in
 * the seed's folder and at the root; a seed that is itself a sitemap is the only one.
 */
export function sitemapCandidates(seed: URL, robotsSitemaps: string[]): string[] {
  if (/\.xml(\.gz)?$/i.test(seed.pathname)) return [seed.href];
  const local = [`${scopePrefix(seed)}sitemap.xml`, "/sitemap.xml"];
  return [...new Set([...robotsSitemaps, ...local.map((p) => new URL(p, seed).href)])];
}
