import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type {
  ImageResult,
  NewsResult,
  SearchBackend,
  SearchQuery,
  SearchResults,
  SearchSource,
  WebResult,
} from "./search-backend.ts";
import { searxngError } from "./searxng-error.ts";
import { imageOf, newsOf, webOf, type SearxngItem } from "./searxng-items.ts";

export interface SearxngSettings {
  /** The instance's base URL, without a trailing slash. */
  endpoint: string;
  engines: string | undefined;
  categories: string | undefined;
  logger: Logger;
}

/** Bounds the pages asked per source, so a filter that drops everything cannot page forever. */
const MAX_PAGES = 10;

interface Page {
  items: SearxngItem[];
}

/**
 * SearXNG's JSON API (`GET /search?format=json`), one request per page and source: web in the
 * `general` category (or SEARXNG_CATEGORIES) with SEARXNG_ENGINES, news, images. Needs the
 * instance's `search.formats` to include `json`; otherwise it answers 403.
 */
export class SearxngBackend implements SearchBackend {
  readonly name: string;
  readonly #settings: SearxngSettings;

  constructor(settings: SearxngSettings) {
    this.#settings = settings;
    this.name = `SearXNG at ${settings.endpoint}`;
  }

  async search(query: SearchQuery): Promise<SearchResults> {
    const results: SearchResults = {};
    const asked = await Promise.all(query.sources.map((s) => this.#source(s, query)));
    for (const [source, items] of asked) {
      if (items.length > 0) Object.assign(results, { [source]: items });
    }
    return results;
  }

  async #source(
    source: SearchSource,
    query: SearchQuery,
  ): Promise<[SearchSource, WebResult[] | NewsResult[] | ImageResult[]]> {
    const items = await this.#collect(source, query);
    if (source === "web") return [source, sortedWeb(items, query).map(webOf)];
    return [source, source === "news" ? items.map(newsOf) : items.map(imageOf)];
  }

  /** Pages 1, 2, … until `limit` items are kept, a page brings nothing new, or MAX_PAGES. */
  async #collect(source: SearchSource, query: SearchQuery): Promise<SearxngItem[]> {
    const kept = new Map<string, SearxngItem>();
    for (let pageno = 1; pageno <= MAX_PAGES && kept.size < query.limit; pageno++) {
      const page = await this.#page(source, query, pageno);
      const before = kept.size;
      for (const item of page.items) {
        if (kept.size < query.limit && accepts(source, query, item)) kept.set(keyOf(item), item);
      }
      if (page.items.length === 0 || (kept.size === before && pageno > 1)) break;
    }
    return [...kept.values()];
  }

  async #page(source: SearchSource, query: SearchQuery, pageno: number): Promise<Page> {
    const url = this.#url(source, query, pageno);
    let response: Response;
    try {
      response = await fetch(url, {
        signal: query.signal,
        headers: { accept: "application/json" },
      });
      const text = await response.text();
      if (!response.ok) throw searxngError(this.name, { status: response.status, body: text });
      return pageOf(this.name, text);
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw searxngError(this.name, { cause: err, signal: query.signal, ms: query.timeoutMs });
    }
  }

  #url(source: SearchSource, query: SearchQuery, pageno: number): string {
    const { endpoint, engines, categories } = this.#settings;
    const params = new URLSearchParams({ q: query.q, format: "json", pageno: String(pageno) });
    params.set("categories", source === "web" ? (categories ?? "general") : source);
    if (source === "web" && engines) params.set("engines", engines);
    params.set(
      "language",
      query.country ? `${query.lang}-${query.country.toUpperCase()}` : query.lang,
    );
    if (source === "web" && query.timeRange) params.set("time_range", query.timeRange);
    if (query.safe !== undefined) params.set("safesearch", query.safe ? "2" : "0");
    return `${endpoint}/search?${params.toString()}`;
  }
}

function pageOf(name: string, text: string): Page {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw searxngError(name, { notJson: text });
  }
  const results = (body as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) throw searxngError(name, { notJson: text });
  return { items: results.filter((r): r is SearxngItem => typeof r === "object" && r !== null) };
}

const keyOf = (item: SearxngItem) => String(item.url ?? item.img_src ?? JSON.stringify(item));

function accepts(source: SearchSource, query: SearchQuery, item: SearxngItem): boolean {
  if (typeof item.url === "string" && query.keep && !query.keep(item.url)) return false;
  if (source !== "web") return true;
  if (typeof item.url !== "string") return false;
  const published = item.publishedDate ? Date.parse(item.publishedDate) : Number.NaN;
  if (Number.isNaN(published)) return true;
  return (
    published >= (query.publishedAfter ?? -Infinity) &&
    published <= (query.publishedBefore ?? Infinity)
  );
}

function sortedWeb(items: SearxngItem[], query: SearchQuery): SearxngItem[] {
  if (!query.sortByDate) return items;
  const time = (item: SearxngItem) => Date.parse(item.publishedDate ?? "") || 0;
  return [...items].sort((a, b) => time(b) - time(a));
}
