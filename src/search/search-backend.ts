// What `/v2/search` and extract's `enableWebSearch` ask of a search engine, whichever it is.
// SearXNG is the first backend (searxng-backend.ts); another one implements the same interface.

export type SearchSource = "web" | "news" | "images";

/** SearXNG's time ranges; Google-style `tbs` values are mapped onto them before the backend. */
export type TimeRange = "day" | "week" | "month" | "year";

export interface SearchQuery {
  /** The query as the engine gets it: categories and domain filters already folded in. */
  q: string;
  /** Each source is asked on its own; a source not asked is absent from the results. */
  sources: SearchSource[];
  /** Results wanted per source. */
  limit: number;
  /** A language code, e.g. `en`. */
  lang: string;
  /** An ISO 3166-1 alpha-2 country, lower case, e.g. `us`; none means any region. */
  country?: string;
  /** Only results from this recent period (web results only, as Firecrawl's docs say). */
  timeRange?: TimeRange;
  safe?: boolean;
  /** Web results published outside this window (ms since epoch) are dropped; undated ones kept. */
  publishedAfter?: number;
  publishedBefore?: number;
  /** Web results newest first (`tbs` `sbd:1`). */
  sortByDate?: boolean;
  /** Results whose URL fails this are dropped before counting towards `limit`. */
  keep?: (url: string) => boolean;
  /** The request's deadline; the backend stops when it aborts. */
  signal: AbortSignal;
  /** The deadline in ms, for the message when it passes. */
  timeoutMs?: number;
}

export interface WebResult {
  url: string;
  title: string;
  description: string;
}

export interface NewsResult {
  title?: string;
  url?: string;
  snippet?: string;
  date?: string;
  imageUrl?: string;
}

export interface ImageResult {
  title?: string;
  imageUrl?: string;
  imageWidth?: number;
  imageHeight?: number;
  url?: string;
}

export interface SearchResults {
  web?: WebResult[];
  news?: NewsResult[];
  images?: ImageResult[];
}

/**
 * A search engine. A failure (unreachable, an HTTP error, an answer that is not its JSON, its
 * deadline) is thrown as an AppError that names the backend and the cause; it is never an empty
 * result, which would look like "nothing found".
 */
export interface SearchBackend {
  /** For logs and error messages, e.g. `SearXNG at http://127.0.0.1:8888`. */
  readonly name: string;
  search(query: SearchQuery): Promise<SearchResults>;
}
