import * as cheerio from "cheerio";
import type { TextFetcher } from "./site-fetcher.ts";

/** At most this many sitemap files per crawl or map (upstream's cap, spec §2.3). */
export const MAX_SITEMAPS = 20;

export interface SitemapContent {
  /** Page URLs (`<urlset><url><loc>`). */
  pages: string[];
  /** Child sitemaps (`<sitemapindex><sitemap><loc>`). */
  sitemaps: string[];
}

export function parseSitemap(xml: string): SitemapContent {
  const $ = cheerio.load(xml, { xml: true });
  const locs = (selector: string) =>
    $(selector)
      .map((_, el) => $(el).text().trim())
      .get()
      .filter((loc) => loc.length > 0);
  return { pages: locs("urlset > url > loc"), sitemaps: locs("sitemapindex > sitemap > loc") };
}

/**
 * Every page URL the given sitemaps list, following indexes to their children, breadth first,
 * up to MAX_SITEMAPS files; a sitemap that is missing or not XML adds nothing.
 */
export async function readSitemaps(
  fetcher: TextFetcher,
  candidates: string[],
  signal: AbortSignal,
): Promise<string[]> {
  const queue = [...new Set(candidates)];
  const seen = new Set(queue);
  const pages: string[] = [];
  for (let i = 0; i < queue.length && i < MAX_SITEMAPS; i++) {
    const fetched = await fetcher.text(queue[i] ?? "", signal);
    if (!fetched || fetched.status !== 200 || !/<(urlset|sitemapindex)\b/.test(fetched.text)) {
      continue;
    }
    const content = parseSitemap(fetched.text);
    pages.push(...content.pages);
    for (const child of content.sitemaps) {
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return [...new Set(pages)];
}
