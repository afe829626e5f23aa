import { mapRequestSchema } from "../crawl/map-request.ts";
import type { SiteMapper } from "../crawl/site-map.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { SearchBackend } from "../search/search-backend.ts";
import type { StoredExtract } from "./extract-request.ts";

/**
 * Pages one extract reads when it sets no `limit`: every page is scraped and sent to the model,
 * so an unbounded `/*` over a large site would be slow and costly.
 */
export const DEFAULT_EXTRACT_PAGES = 20;
/** Web results asked for with `enableWebSearch`. */
export const WEB_RESULTS = 5;
/** How many of a site's URLs one `/*` map looks at, before the path filter. */
const MAP_LIMIT = 1_000;

export interface ExtractUrlsDeps {
  mapper: SiteMapper;
  search: SearchBackend | undefined;
  logger: Logger;
}

/**
 * The URLs an extract reads: each plain URL, the pages under each `/*` (through map, not billed
 * on its own), then the web's results for the prompt; deduplicated, at most `limit`.
 */
export class ExtractUrls {
  readonly #deps: ExtractUrlsDeps;

  constructor(deps: ExtractUrlsDeps) {
    this.#deps = deps;
  }

  async expand(stored: StoredExtract, teamId: string, signal: AbortSignal): Promise<string[]> {
    const found: string[] = [];
    for (const { url, wildcard } of stored.urls) {
      found.push(...(wildcard ? await this.#under(url, stored, teamId) : [url]));
    }
    if (stored.enableWebSearch) found.push(...(await this.#web(stored.prompt ?? "", signal)));
    return [...new Set(found)].slice(0, stored.limit ?? DEFAULT_EXTRACT_PAGES);
  }

  /** The site's pages whose path starts with the wildcard's (the base itself first). */
  async #under(base: string, stored: StoredExtract, teamId: string): Promise<string[]> {
    const request = mapRequestSchema.parse({
      url: base,
      sitemap: stored.ignoreSitemap ? "skip" : "include",
      includeSubdomains: stored.includeSubdomains,
      limit: MAP_LIMIT,
      ...(stored.timeout !== undefined && { timeout: stored.timeout }),
    });
    const { links } = await this.#deps.mapper.map(request, teamId, { billed: false });
    const root = new URL(base);
    const prefix = root.pathname.endsWith("/") ? root.pathname : `${root.pathname}/`;
    const under = links
      .map((link) => new URL(link.url))
      .filter((url) => sameSite(url, root, stored) && isUnder(url, root.pathname, prefix));
    this.#deps.logger.debug({ base, mapped: links.length, kept: under.length }, "extract map");
    return [root.href, ...under.map((url) => url.href)];
  }

  async #web(query: string, signal: AbortSignal): Promise<string[]> {
    if (!this.#deps.search) throw new AppError("SEARCH_NOT_CONFIGURED");
    const results = await this.#deps.search.search({
      q: query,
      sources: ["web"],
      limit: WEB_RESULTS,
      lang: "en",
      signal,
    });
    return (results.web ?? []).slice(0, WEB_RESULTS).map((result) => result.url);
  }
}

function sameSite(url: URL, root: URL, stored: StoredExtract): boolean {
  if (url.host === root.host || stored.allowExternalLinks) return true;
  return stored.includeSubdomains && url.hostname.endsWith(`.${root.hostname}`);
}

function isUnder(url: URL, path: string, prefix: string): boolean {
  return url.pathname === path || url.pathname.startsWith(prefix);
}
