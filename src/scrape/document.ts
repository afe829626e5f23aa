import type { ChangeTracking } from "./change-tracking.ts";
import type { TransformResult } from "./transform/transform-capture.ts";

/** What a scrape answers in `data`. Key order is Firecrawl's, and GET replays it byte for byte. */
export interface ScrapeDocument {
  markdown?: string;
  html?: string;
  rawHtml?: string;
  links?: string[];
  images?: string[];
  screenshot?: string;
  json?: unknown;
  summary?: string;
  answer?: string;
  highlights?: string;
  changeTracking?: ChangeTracking;
  actions?: DocumentActions;
  warning?: string;
  metadata: Record<string, unknown>;
}

export interface DocumentActions {
  screenshots: string[];
  scrapes: { url: string; html: string }[];
  javascriptReturns: { type: string; value: unknown }[];
  pdfs: string[];
}

/** Facts about the scrape itself, added after the page's own metadata. */
export interface ScrapeFacts {
  scrapeId: string;
  sourceURL: string;
  url: string;
  statusCode: number;
  contentType: string;
  error?: string;
  creditsUsed: number;
  concurrencyQueueDurationMs: number;
  cache?: { state: "hit" | "miss"; cachedAt?: string };
}

export function buildMetadata(
  page: TransformResult["metadata"],
  facts: ScrapeFacts,
): Record<string, unknown> {
  const queued = facts.concurrencyQueueDurationMs > 0;
  return {
    ...page,
    scrapeId: facts.scrapeId,
    sourceURL: facts.sourceURL,
    url: facts.url,
    statusCode: facts.statusCode,
    contentType: facts.contentType,
    ...(facts.error !== undefined && { error: facts.error }),
    proxyUsed: "basic",
    ...(facts.cache && { cacheState: facts.cache.state }),
    ...(facts.cache?.cachedAt !== undefined && { cachedAt: facts.cache.cachedAt }),
    creditsUsed: facts.creditsUsed,
    concurrencyLimited: queued,
    ...(queued && { concurrencyQueueDurationMs: facts.concurrencyQueueDurationMs }),
  };
}

export function buildDocument(
  content: Omit<TransformResult, "metadata">,
  extras: {
    screenshot?: string | undefined;
    json?: unknown;
    summary?: string | undefined;
    answer?: string | undefined;
    highlights?: string | undefined;
    changeTracking?: ChangeTracking | undefined;
    actions?: DocumentActions | undefined;
    warning?: string | undefined;
  },
  metadata: Record<string, unknown>,
): ScrapeDocument {
  return {
    ...(content.markdown !== undefined && { markdown: content.markdown }),
    ...(content.html !== undefined && { html: content.html }),
    ...(content.rawHtml !== undefined && { rawHtml: content.rawHtml }),
    ...(content.links !== undefined && { links: content.links }),
    ...(content.images !== undefined && { images: content.images }),
    ...(extras.screenshot !== undefined && { screenshot: extras.screenshot }),
    ...("json" in extras && { json: extras.json }),
    ...(extras.summary !== undefined && { summary: extras.summary }),
    ...(extras.answer !== undefined && { answer: extras.answer }),
    ...(extras.highlights !== undefined && { highlights: extras.highlights }),
    ...(extras.changeTracking !== undefined && { changeTracking: extras.changeTracking }),
    ...(extras.actions !== undefined && { actions: extras.actions }),
    ...(extras.warning !== undefined && { warning: extras.warning }),
    metadata,
  };
}
