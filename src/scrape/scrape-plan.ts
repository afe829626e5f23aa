// The free functions of a scrape (scrape-service.ts): what the request asks of the browser and
// the transform, what the page costs, and the documents of refused targets.
import { AppError } from "../errors.ts";
import { buildDocument, buildMetadata, type DocumentActions } from "./document.ts";
import type { ActionOutputs } from "./page-capture.ts";
import { asksModel, type ScrapeRequest, type ScreenshotFormat } from "./scrape-request.ts";
import type { TransformResult } from "./transform/transform-capture.ts";

/** Firecrawl's self-host answer for a target its policy refuses. */
const BLOCKED_TARGET = "Blocked insecure target URL";

/** The document's own `metadata.creditsUsed`: what the caller was told it cost. */
export function creditsOf(document: object): number {
  const credits = (document as { metadata?: { creditsUsed?: unknown } }).metadata?.creditsUsed;
  return typeof credits === "number" ? credits : 0;
}

/** maxAge 0 bypasses the cache; minAge and lockdown make it the only source. */
export function readsCache(request: ScrapeRequest): boolean {
  return request.maxAge !== 0 || request.minAge !== undefined || request.lockdown;
}

/** Firecrawl's `data.warning` for asked-for features this server does not have. */
export function warningFor(request: ScrapeRequest): string | undefined {
  if (request.proxy !== "stealth" && request.proxy !== "enhanced") return undefined;
  return `Skiff has no ${request.proxy} proxy; the page was fetched directly.`;
}

export function dnsError(hostname: string): AppError {
  return new AppError(
    "SCRAPE_DNS_RESOLUTION_ERROR",
    `DNS resolution failed for hostname: ${hostname}. Please check if the domain is valid and accessible.`,
  );
}

/** Maps an abort to the right answer: the deadline is a 408; a gone client gets nothing useful. */
export function asScrapeError(e: unknown, signal: AbortSignal, clientSignal: AbortSignal): unknown {
  if (e instanceof AppError) return e;
  if (signal.aborted && !clientSignal.aborted) return new AppError("SCRAPE_TIMEOUT");
  return e;
}

/** What a target the policy refuses gets: an empty document with Firecrawl's 403. */
export function blockedDocument(request: ScrapeRequest, sourceURL: string, id: string) {
  const wants = wantsOf(request);
  const metadata = buildMetadata(
    {},
    {
      scrapeId: id,
      sourceURL,
      url: request.url,
      statusCode: 403,
      contentType: "text/html",
      error: BLOCKED_TARGET,
      creditsUsed: 1,
      concurrencyQueueDurationMs: 0,
    },
  );
  const empty = { ...(wants.markdown && { markdown: "" }), ...(wants.html && { html: "" }) };
  return buildDocument(empty, {}, metadata);
}

export function wantsOf(request: ScrapeRequest) {
  const has = (type: string) => request.formats.some((f) => f.type === type);
  return {
    markdown: has("markdown"),
    html: has("html"),
    rawHtml: has("rawHtml"),
    links: has("links"),
    images: has("images"),
  };
}

/** The model reads markdown, so a model format needs it even when the caller did not ask for it. */
export function transformOptionsOf(request: ScrapeRequest) {
  const pdf = request.parsers.find(
    (p) => p === "pdf" || (typeof p === "object" && p.type === "pdf"),
  );
  const wants = wantsOf(request);
  return {
    wants: { ...wants, markdown: wants.markdown || asksModel(request) },
    onlyMainContent: request.onlyMainContent,
    includeTags: request.includeTags,
    excludeTags: request.excludeTags,
    removeBase64Images: request.removeBase64Images,
    parsePdf: pdf !== undefined,
    pdfMaxPages: typeof pdf === "object" ? pdf.maxPages : undefined,
  };
}

/** Drops the markdown made only for the model. */
export function onlyRequested(request: ScrapeRequest, content: TransformResult): TransformResult {
  if (wantsOf(request).markdown) return content;
  const rest = { ...content };
  delete rest.markdown;
  return rest;
}

export function contextSpecOf(request: ScrapeRequest) {
  return {
    mobile: request.mobile,
    skipTlsVerification: request.skipTlsVerification,
    headers: request.headers,
    location: request.location,
  };
}

export function loadRequestOf(request: ScrapeRequest, screenshot: ScreenshotFormat | undefined) {
  return {
    url: request.url,
    waitFor: request.waitFor,
    timeoutMs: request.timeout,
    headers: request.headers,
    mobile: request.mobile,
    skipTlsVerification: request.skipTlsVerification,
    blockAds: request.blockAds,
    location: request.location,
    actions: request.actions ?? [],
    screenshot,
  };
}

/** What the model formats added to a page's price (query-answers.ts, change-tracking.ts). */
export interface ModelCharges {
  /** +4 for each of an answer and highlights that were produced. */
  queryCredits: number;
  /** `changeTracking` in `json` mode ran: the page costs 5, as with `json`. */
  billsJson: boolean;
}

/**
 * Spec §1.5's and §8's tables, for what Skiff supports: 1 a scrape, 5 instead with `json` or
 * change tracking's `json` mode (summary costs nothing more), +4 for each of an answer and
 * highlights, +1 zero data retention, +1 a PDF page past the first.
 */
export function creditsFor(
  request: ScrapeRequest,
  content: TransformResult,
  charges: ModelCharges,
): number {
  const pages = typeof content.metadata.numPages === "number" ? content.metadata.numPages : 1;
  const json = charges.billsJson || request.formats.some((f) => f.type === "json");
  const extras = charges.queryCredits + (request.zeroDataRetention ? 1 : 0);
  return (json ? 5 : 1) + extras + Math.max(0, pages - 1);
}

/** Each warning goes before the ones already there, joined by a space (spec §7.1). */
export function prependWarnings(
  existing: string | undefined,
  ...warnings: (string | undefined)[]
): string | undefined {
  return warnings.reduce<string | undefined>(
    (all, w) => (w === undefined ? all : all === undefined ? w : `${w} ${all}`),
    existing,
  );
}

export function imageType(bytes: Buffer): string {
  return bytes[0] === 0xff && bytes[1] === 0xd8 ? "image/jpeg" : "image/png";
}

export async function saveActionFiles(
  outputs: ActionOutputs,
  save: (bytes: Buffer, type: string) => Promise<string>,
): Promise<DocumentActions> {
  return {
    screenshots: await Promise.all(outputs.screenshots.map((b) => save(b, imageType(b)))),
    scrapes: outputs.scrapes,
    javascriptReturns: outputs.javascriptReturns,
    pdfs: await Promise.all(outputs.pdfs.map((b) => save(b, "application/pdf"))),
  };
}
