import { v7 as uuidv7 } from "uuid";
import type { Credits } from "../billing/credits.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ScrapeService } from "../scrape/scrape-service.ts";
import type { Store } from "../store/store.ts";
import { countryOfLocation } from "./location-country.ts";
import { buildQuery } from "./query-builder.ts";
import { categoryOf } from "./result-category.ts";
import { urlFilter } from "./result-filter.ts";
import { ResultScraper } from "./result-scraper.ts";
import type { SearchBackend, SearchQuery, SearchResults } from "./search-backend.ts";
import type { SearchRequest } from "./search-request.ts";
import { parseTbs, type TimeFilter } from "./time-filter.ts";

export interface SearchContext {
  teamId: string;
  publicBaseUrl: string;
  /** Aborts when the caller is gone. */
  signal: AbortSignal;
}

export interface SearchOutcome {
  id: string;
  data: SearchResults;
  creditsUsed: number;
}

export interface SearchServiceDeps {
  backend: SearchBackend | undefined;
  scraper: ScrapeService;
  store: Store;
  credits: Credits;
  logger: Logger;
  /** Scrapes one team may run at once; undefined when teams are not limited (AUTH=none). */
  teamConcurrency: number | undefined;
}

/** Search credits: 2 per started 10 results over all sources (spec §8). */
export function searchCredits(data: SearchResults): number {
  const count = (data.web?.length ?? 0) + (data.news?.length ?? 0) + (data.images?.length ?? 0);
  return Math.ceil(count / 10) * 2;
}

/**
 * `POST /v2/search` (spec §5): asks the backend, filters and tags the results, scrapes them when
 * asked, and bills the search to the team's ledger (the scrapes bill themselves).
 */
export class SearchService {
  readonly #deps: SearchServiceDeps;
  readonly #results: ResultScraper;

  constructor(deps: SearchServiceDeps) {
    this.#deps = deps;
    this.#results = new ResultScraper(deps.scraper, deps.logger.child({ component: "search" }));
  }

  /** `rawScrapeOptions`: the body's `scrapeOptions` as sent, parsed again for each result's page. */
  async search(
    request: SearchRequest,
    rawScrapeOptions: Record<string, unknown> | undefined,
    ctx: SearchContext,
  ): Promise<SearchOutcome> {
    const backend = this.#deps.backend;
    if (!backend) throw new AppError("SEARCH_NOT_CONFIGURED");
    await this.#deps.credits.requireAny(ctx.teamId);
    const id = uuidv7();
    const started = Date.now();
    const deadline = started + request.timeout;
    const signal = AbortSignal.any([AbortSignal.timeout(request.timeout), ctx.signal]);
    const found = await backend.search(backendQuery(request, signal));
    const data = tagged(found, request);
    const scraping = { raw: rawScrapeOptions ?? {}, deadline };
    const scrapeCredits = await this.#scrape(data, request, { ...ctx, signal }, scraping);
    const credits = searchCredits(data);
    await this.#bill(ctx.teamId, id, credits);
    this.#log(request, backend.name, { id, data, ms: Date.now() - started });
    return { id, data, creditsUsed: credits + scrapeCredits };
  }

  async #scrape(
    data: SearchResults,
    request: SearchRequest,
    ctx: SearchContext,
    { raw, deadline }: { raw: Record<string, unknown>; deadline: number },
  ): Promise<number> {
    const options = request.scrapeOptions;
    if (!options || options.formats.length === 0) return 0;
    const scrapeCtx = {
      ...ctx,
      deadline,
      origin: request.origin,
      integration: request.integration,
      zeroDataRetention: isZdr(request),
    };
    const limit = this.#deps.teamConcurrency ?? Number.POSITIVE_INFINITY;
    // Web and news share one pool: two would run twice the team's limit and draw 429s.
    const web = data.web ?? [];
    const news = data.news ?? [];
    const scraped = await this.#results.scrapeAll([...web, ...news], raw, scrapeCtx, limit);
    if (data.web) data.web = scraped.results.slice(0, web.length) as typeof web;
    if (data.news) data.news = scraped.results.slice(web.length);
    return scraped.credits;
  }

  async #bill(teamId: string, id: string, credits: number): Promise<void> {
    if (credits === 0) return;
    // The ledger has no "search" reason; a search is paid like scrapes, so it is billed as one.
    await this.#deps.store.appendLedger({
      teamId,
      delta: -credits,
      reason: "scrape",
      ref: `search:${id}`,
      createdAt: Date.now(),
    });
  }

  #log(
    request: SearchRequest,
    backend: string,
    run: { id: string; data: SearchResults; ms: number },
  ) {
    const { web, news, images } = run.data;
    const counts = { web: web?.length ?? 0, news: news?.length ?? 0, images: images?.length ?? 0 };
    this.#deps.logger.info(
      {
        searchId: run.id,
        backend,
        sources: request.sources,
        results: counts,
        ms: run.ms,
        ...(!isPrivate(request) && { query: request.query }),
      },
      "searched",
    );
  }
}

const isZdr = (request: SearchRequest) => request.enterprise?.includes("zdr") === true;
const isPrivate = (request: SearchRequest) =>
  isZdr(request) || request.enterprise?.includes("anon") === true;

function timeOf(request: SearchRequest): TimeFilter {
  if (request.tbs === undefined) return {};
  const parsed = parseTbs(request.tbs);
  return typeof parsed === "string" ? {} : parsed;
}

function backendQuery(request: SearchRequest, signal: AbortSignal): SearchQuery {
  const time = timeOf(request);
  const country = request.country ?? (request.location && countryOfLocation(request.location));
  const query: SearchQuery = {
    q: buildQuery(request),
    sources: request.sources,
    limit: request.limit,
    lang: request.lang,
    keep: urlFilter(request),
    signal,
    timeoutMs: request.timeout,
  };
  if (country) query.country = country.toLowerCase();
  if (time.timeRange) query.timeRange = time.timeRange;
  if (time.after !== undefined) query.publishedAfter = time.after;
  if (time.before !== undefined) query.publishedBefore = time.before;
  if (time.sortByDate) query.sortByDate = true;
  if (request.safe !== undefined) query.safe = request.safe;
  return query;
}

/** `category` on web and news results, each source cut to `limit` (spec §5.3). */
function tagged(found: SearchResults, request: SearchRequest): SearchResults {
  const asked = request.categories ?? [];
  const tag = <T extends { url?: string }>(items: T[]) =>
    items.slice(0, request.limit).map((item) => {
      const category = item.url ? categoryOf(item.url, asked) : undefined;
      return category ? { ...item, category } : item;
    });
  const data: SearchResults = {};
  if (found.web?.length) data.web = tag(found.web);
  if (found.news?.length) data.news = tag(found.news);
  if (found.images?.length) data.images = found.images.slice(0, request.limit);
  return data;
}
