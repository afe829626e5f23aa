import * as cheerio from "cheerio";
import { getDomain } from "tldts";
import { v7 as uuidv7 } from "uuid";
import type { Credits } from "../billing/credits.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Store } from "../store/store.ts";
import type { MapRequest } from "./map-request.ts";
import { parseRobots } from "./robots.ts";
import { readSitemaps } from "./sitemaps.ts";
import { countryLocale } from "../scrape/country-locales.ts";
import type { SiteFetcher, TextFetcher } from "./site-fetcher.ts";
import { sitemapCandidates } from "./stored-job.ts";
import { refusePrivateTarget, type TargetCheck } from "./target-check.ts";

export interface MapLink {
  url: string;
  title?: string;
}

/** Pages fetched for their links when the sitemaps give nothing (or are skipped). */
const DISCOVERY_PAGES = 50;
const DISCOVERY_CONCURRENCY = 8;
/** Without a `timeout`, upstream gives the sitemaps this long. */
const DEFAULT_BUDGET_MS = 30_000;

/**
 * `POST /v2/map` (spec §4): the site's URLs from its sitemaps, the page's own links and, when the
 * sitemaps give nothing, a shallow walk of the pages it links to. Plain HTTP through the egress
 * proxy; no browser. One credit a call.
 */
export class SiteMapper {
  readonly #fetcher: SiteFetcher;
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #credits: Credits;

  readonly #targets: TargetCheck;

  constructor(deps: {
    fetcher: SiteFetcher;
    store: Store;
    logger: Logger;
    credits: Credits;
    targets: TargetCheck;
  }) {
    this.#targets = deps.targets;
    this.#fetcher = deps.fetcher;
    this.#store = deps.store;
    this.#logger = deps.logger;
    this.#credits = deps.credits;
  }

  /** `billed: false` for a map that is part of another call (a crawl's prompt). */
  async map(
    request: MapRequest,
    teamId: string,
    options: { billed?: boolean } = {},
  ): Promise<{ id: string; links: MapLink[] }> {
    const billed = options.billed ?? true;
    await refusePrivateTarget(request.url, this.#targets);
    if (billed) await this.#credits.requireAny(teamId);
    const id = uuidv7();
    const budget = AbortSignal.timeout(request.timeout ?? DEFAULT_BUDGET_MS);
    const fetcher = this.#fetcher.withHeaders(headersOf(request));
    const found = await this.#discover(request, fetcher, budget).catch((err: unknown) => {
      if (budget.aborted && request.timeout !== undefined) throw new AppError("MAP_TIMEOUT");
      throw err;
    });
    if (budget.aborted && request.timeout !== undefined) throw new AppError("MAP_TIMEOUT");
    const links = finish(found, request);
    if (!billed) return { id, links };
    await this.#store.appendLedger({
      teamId,
      delta: -1,
      reason: "scrape",
      ref: `map:${id}`,
      createdAt: Date.now(),
    });
    this.#logger.info({ mapId: id, links: links.length }, "mapped");
    return { id, links };
  }

  async #discover(
    request: MapRequest,
    fetcher: TextFetcher,
    signal: AbortSignal,
  ): Promise<MapLink[]> {
    const seed = new URL(request.url);
    const robotsUrl = new URL("/robots.txt", seed).href;
    const robots = await fetcher.text(robotsUrl, signal);
    const robotsSitemaps =
      robots?.status === 200 ? parseRobots(robotsUrl, robots.text).sitemaps : [];
    const fromSitemaps =
      request.sitemap === "skip"
        ? []
        : await readSitemaps(fetcher, sitemapCandidates(seed, robotsSitemaps), signal);
    const sitemapLinks = fromSitemaps.map((url) => ({ url }));
    if (request.sitemap === "only") return sitemapLinks;
    const walked = await walk(fetcher, seed, sitemapLinks.length === 0, signal);
    return [...sitemapLinks, ...walked];
  }
}

/** The seed's links (with its title); and, when `deep`, the links of the pages it links to. */
async function walk(
  fetcher: TextFetcher,
  seed: URL,
  deep: boolean,
  signal: AbortSignal,
): Promise<MapLink[]> {
  const first = await page(fetcher, seed.href, signal);
  if (!first) return [];
  const out: MapLink[] = [first.self, ...first.links.map((url) => ({ url }))];
  if (!deep) return out;
  const sameSite = first.links.filter((url) => sameRegistrable(new URL(url), seed));
  const queue = [...new Set(sameSite)].slice(0, DISCOVERY_PAGES);
  const workers = Array.from({ length: DISCOVERY_CONCURRENCY }, async () => {
    for (let url = queue.shift(); url !== undefined && !signal.aborted; url = queue.shift()) {
      const found = await page(fetcher, url, signal);
      if (found) out.push(found.self, ...found.links.map((link) => ({ url: link })));
    }
  });
  await Promise.all(workers);
  return out;
}

async function page(fetcher: TextFetcher, url: string, signal: AbortSignal) {
  const fetched = await fetcher.text(url, signal);
  if (!fetched || fetched.status >= 400 || !/html/i.test(fetched.contentType)) return undefined;
  const $ = cheerio.load(fetched.text);
  const title = $("title").first().text().trim();
  const links = $("a[href]")
    .map((_, el) => resolve($(el).attr("href") ?? "", fetched.url))
    .get()
    .filter((link): link is string => link !== undefined);
  return { self: { url: fetched.url, ...(title && { title }) }, links };
}

function resolve(href: string, base: string): string | undefined {
  try {
    const url = new URL(href, base);
    url.hash = "";
    return url.href;
  } catch {
    return undefined;
  }
}

/** What a map sends besides its user agent: the languages of its `location`. */
function headersOf(request: MapRequest): Record<string, string> {
  const { location } = request;
  if (!location) return {};
  const language =
    location.languages?.join(",") ?? countryLocale(location.country ?? "us-generic")?.locale;
  return language ? { "accept-language": language } : {};
}

function sameRegistrable(a: URL, b: URL): boolean {
  return getDomain(a.hostname) === getDomain(b.hostname);
}

/** Upstream's post-processing (spec §4.2 step 5), then the search ranking and the limit. */
function finish(found: MapLink[], request: MapRequest): MapLink[] {
  const seed = new URL(request.url);
  const byUrl = new Map<string, MapLink>();
  for (const link of found) {
    const url = normalize(link.url, request.ignoreQueryParameters);
    if (!url || !keeps(url, seed, request)) continue;
    const known = byUrl.get(url.href.replace(/\/$/, ""));
    if (!known || (!known.title && link.title)) {
      byUrl.set(url.href.replace(/\/$/, ""), { ...link, url: url.href.replace(/\/$/, "") });
    }
  }
  const links = [...byUrl.values()];
  const ranked = request.search ? rank(links, request.search) : links;
  return ranked.slice(0, request.limit);
}

function normalize(raw: string, ignoreQuery: boolean): URL | undefined {
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:/i.test(raw) ? raw : `http://${raw}`);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    if (ignoreQuery) url.search = "";
    return url;
  } catch {
    return undefined;
  }
}

function keeps(url: URL, seed: URL, request: MapRequest): boolean {
  if (!sameRegistrable(url, seed)) return false;
  if (!request.includeSubdomains && url.hostname !== seed.hostname) return false;
  const seedPath = seed.pathname.replace(/\/$/, "");
  if (request.filterByPath && !request.allowExternalLinks && seedPath !== "") {
    return url.pathname.startsWith(seedPath);
  }
  return true;
}

/** Upstream's ranking: each query term's share of the URL, as a cosine against the query's own. */
function rank(links: MapLink[], search: string): MapLink[] {
  const terms = search.toLowerCase().split(/\W+/).filter(Boolean);
  const vector = (text: string) =>
    terms.map((term) => text.split(term).length - 1).map((n) => n / Math.max(text.length, 1));
  const query = vector(search.toLowerCase());
  const score = (link: MapLink) => cosine(vector(link.url.toLowerCase()), query);
  return links
    .map((link, index) => ({ link, index, score: score(link) }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map((entry) => entry.link);
}

function cosine(a: number[], b: number[]): number {
  const dot = a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);
  const norm = (v: number[]) => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
  const denominator = norm(a) * norm(b);
  return denominator === 0 ? 0 : dot / denominator;
}

/** Upstream's hint when a map finds almost nothing below a path (spec §4.3). */
export function mapWarning(links: MapLink[], request: MapRequest): string | undefined {
  const seed = new URL(request.url);
  const domain = getDomain(seed.hostname) ?? seed.hostname;
  const bare =
    seed.hostname.replace(/^www\./, "") === domain && seed.pathname.replace(/\/$/, "") === "";
  if (links.length > 1 || request.limit === 1 || bare) return undefined;
  return `Only ${links.length} result(s) found. For broader coverage, try mapping the base domain: ${domain}`;
}
