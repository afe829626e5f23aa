import { z } from "zod";
import type { Logger } from "../log.ts";
import { creditsOf } from "../scrape/scrape-plan.ts";
import { scrapeRequestSchema } from "../scrape/scrape-request.ts";
import type { ScrapeService } from "../scrape/scrape-service.ts";

/** Upstream forces this cache age on search scrapes unless the caller sets `maxAge` (spec §5.4). */
const SEARCH_MAX_AGE_MS = 3 * 24 * 3600_000;
/** The scrape schema's smallest timeout. */
const MIN_SCRAPE_MS = 1000;

export interface ResultScrapeContext {
  teamId: string;
  publicBaseUrl: string;
  signal: AbortSignal;
  /** When the search's `timeout` runs out (ms since epoch). */
  deadline: number;
  origin: string;
  integration: string | null;
  zeroDataRetention: boolean;
}

type Result = { url?: string; title?: string; description?: string; snippet?: string };

/**
 * Scrapes search results through the scrape pipeline (stored, billed, cached like any scrape), at
 * most `concurrency` at once; a failed page becomes `metadata.error` and the search goes on.
 */
export class ResultScraper {
  readonly #scraper: ScrapeService;
  readonly #logger: Logger;

  constructor(scraper: ScrapeService, logger: Logger) {
    this.#scraper = scraper;
    this.#logger = logger;
  }

  /** Each result with its document spread in; and the scrapes' credits. */
  async scrapeAll<T extends Result>(
    results: T[],
    options: Record<string, unknown>,
    ctx: ResultScrapeContext,
    concurrency: number,
  ): Promise<{ results: T[]; credits: number }> {
    const out: T[] = [...results];
    let credits = 0;
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < results.length; i = next++) {
        const { document, creditsUsed } = await this.#one(results[i]!, options, ctx);
        credits += creditsUsed;
        out[i] = { ...results[i]!, ...document, ...identity(results[i]!) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, results.length) }, worker));
    return { results: out, credits };
  }

  async #one(result: Result, options: Record<string, unknown>, ctx: ResultScrapeContext) {
    try {
      const request = scrapeRequestSchema.parse(pageOptions(result.url ?? "", options, ctx));
      const scraped = await this.#scraper.scrape(request, {
        teamId: ctx.teamId,
        sourceURL: result.url ?? "",
        publicBaseUrl: ctx.publicBaseUrl,
        signal: ctx.signal,
      });
      const document = JSON.parse(scraped.documentJson) as Record<string, unknown>;
      return { document, creditsUsed: creditsOf(document) };
    } catch (err) {
      this.#logger.info({ err: messageOf(err) }, "search result scrape failed");
      const metadata = { statusCode: 500, error: messageOf(err), proxyUsed: "basic" };
      return { document: { metadata }, creditsUsed: 0 };
    }
  }
}

/** The search's `scrapeOptions` for one page, within what is left of the search's timeout. */
function pageOptions(url: string, options: Record<string, unknown>, ctx: ResultScrapeContext) {
  const left = ctx.deadline - Date.now();
  if (left < MIN_SCRAPE_MS)
    throw new Error("The search's timeout ran out before this result was scraped");
  const asked = typeof options.timeout === "number" ? options.timeout : Infinity;
  return {
    ...options,
    url,
    timeout: Math.min(asked, left),
    maxAge: options.maxAge ?? SEARCH_MAX_AGE_MS,
    origin: ctx.origin,
    integration: ctx.integration ?? undefined,
    ...(ctx.zeroDataRetention && { zeroDataRetention: true }),
  };
}

/** The result's own title, description and url win over the page's (spec §5.4). */
function identity(result: Result): Result {
  const { url, title, description, snippet } = result;
  return Object.fromEntries(
    Object.entries({ url, title, description, snippet }).filter(([, v]) => v !== undefined),
  );
}

function messageOf(err: unknown): string {
  if (err instanceof z.ZodError) return err.issues.map((i) => i.message).join("; ");
  return err instanceof Error ? err.message : String(err);
}
