import type { Page, Response } from "playwright-core";
import { REFUSAL_HEADER } from "../net/egress-proxy.ts";
import { AppError, isAppError } from "../errors.ts";
import { setAdBlocking } from "./ad-blocker.ts";
import { runActions } from "./actions.ts";
import type { ContextSpec } from "./context-options.ts";
import { abortError, Deadline } from "./deadline.ts";
import type { PageCapture } from "./page-capture.ts";
import type { Action, ScreenshotFormat } from "./scrape-request.ts";
import { takeScreenshot } from "./screenshot.ts";

/**
 * What the browser stage needs from a scrape request. It is also the ContextSpec of the context
 * the page must come from: headers, mobile, location and TLS are applied there, not here.
 */
export interface LoadRequest extends ContextSpec {
  url: string;
  waitFor: number;
  /** The scrape's deadline; unset, only `signal` bounds the load. */
  timeoutMs?: number | undefined;
  blockAds: boolean;
  actions: readonly Action[];
  screenshot?: ScreenshotFormat | undefined;
}

interface Navigation {
  /** Where a detached document was fetched from, after redirects. */
  url?: string;
  statusCode: number;
  contentType: string;
  /** Set when the document is not HTML: its bytes as the server sent them. */
  body?: Buffer;
  /** The document never became a page (a download, or a PDF in the viewer): nothing to act on. */
  detached: boolean;
}

/** Loads `request.url` in `page` and captures it: the browser stage of `/v2/scrape`. */
export async function loadPage(
  page: Page,
  request: LoadRequest,
  signal: AbortSignal,
): Promise<PageCapture> {
  const deadline = new Deadline(request.timeoutMs, signal);
  await deadline.race(setAdBlocking(page, request.blockAds));
  const nav = await navigate(page, request.url, deadline);
  const document = {
    url: nav.url ?? page.url(),
    statusCode: nav.statusCode,
    contentType: nav.contentType,
    ...(nav.body && { body: nav.body }),
  };
  if (nav.detached) return document;
  return { ...document, ...(await afterLoad(page, request, !nav.body, deadline)) };
}

/** waitFor, then the actions, then the captures; the URL is read last, as actions may navigate. */
async function afterLoad(
  page: Page,
  request: LoadRequest,
  isHtml: boolean,
  deadline: Deadline,
): Promise<Partial<PageCapture>> {
  if (request.waitFor > 0) await deadline.sleep(request.waitFor);
  const actions =
    request.actions.length > 0 ? await runActions(page, request.actions, deadline) : undefined;
  const screenshot = request.screenshot
    ? await takeScreenshot(page, request.screenshot, deadline)
    : undefined;
  const html = isHtml ? await deadline.race(page.content()) : undefined;
  return {
    url: page.url(),
    ...(html !== undefined && { html }),
    ...(screenshot && { screenshot }),
    ...(actions && { actions }),
  };
}

async function navigate(page: Page, url: string, deadline: Deadline): Promise<Navigation> {
  let response: Response | null;
  try {
    response = await deadline.bound((timeout) => page.goto(url, { waitUntil: "load", timeout }));
  } catch (error) {
    if (isDownload(error)) return fetchDocument(page, url, deadline);
    throw navigationError(error, url, deadline);
  }
  if (!response) return { statusCode: 200, contentType: "text/html", detached: false };
  const refused = response.headers()[REFUSAL_HEADER];
  if (refused !== undefined) throw new EgressRefusedError(refused);
  const contentType = response.headers()["content-type"] ?? "";
  const base = { statusCode: response.status(), contentType, detached: false };
  if (isHtml(contentType)) return base;
  // Chromium hands a PDF to its viewer, so the response body is the viewer's, not the file.
  if (/^application\/pdf/i.test(contentType)) return fetchDocument(page, response.url(), deadline);
  return { ...base, body: await deadline.race(response.body()) };
}

/**
 * Fetches a document Chromium will not show as a page, through the context's request client:
 * same cookies, headers and TLS settings as the page.
 */
async function fetchDocument(page: Page, url: string, deadline: Deadline): Promise<Navigation> {
  try {
    const request = page.context().request;
    const response = await deadline.bound((timeout) =>
      request.get(url, { timeout, failOnStatusCode: false }),
    );
    return {
      url: response.url(),
      statusCode: response.status(),
      contentType: response.headers()["content-type"] ?? "application/octet-stream",
      body: await deadline.race(response.body()),
      detached: true,
    };
  } catch (error) {
    throw navigationError(error, url, deadline);
  }
}

function isHtml(contentType: string): boolean {
  return contentType === "" || /^\s*(text\/html|application\/xhtml\+xml)/i.test(contentType);
}

function isDownload(error: unknown): boolean {
  return error instanceof Error && error.message.includes("Download is starting");
}

/** Chromium's net::ERR_… codes mapped onto Firecrawl's error kinds. */
/**
 * The egress proxy refused the page (after a redirect, say: the target was checked before). Over
 * https the browser sees only a failed tunnel; that is told apart by the proxy's own count.
 */
export class EgressRefusedError extends Error {
  constructor(reason: string) {
    super(`Blocked by Skiff's egress policy: ${reason}`);
    this.name = "EgressRefusedError";
  }
}

/** True for a navigation failure the egress proxy may have caused by refusing. */
export function mayBeEgressRefusal(error: unknown): boolean {
  if (error instanceof EgressRefusedError) return true;
  const cause = isAppError(error) ? error.cause : error;
  return cause instanceof Error && /net::ERR_TUNNEL_CONNECTION_FAILED/.test(cause.message);
}

function navigationError(error: unknown, url: string, deadline: Deadline): unknown {
  if (isAppError(error) || error instanceof EgressRefusedError) return error;
  if (deadline.signal.aborted) return abortError(deadline.signal);
  if (error instanceof Error && error.name === "TimeoutError")
    return new AppError("SCRAPE_TIMEOUT");
  const message = error instanceof Error ? error.message : String(error);
  const code = /net::(ERR_[A-Z0-9_]+)/.exec(message)?.[1];
  if (code === "ERR_NAME_NOT_RESOLVED") {
    const host = new URL(url).hostname;
    return new AppError(
      "SCRAPE_DNS_RESOLUTION_ERROR",
      `DNS resolution failed for hostname: ${host}. Please check if the domain is valid and accessible.`,
      { cause: error },
    );
  }
  if (code && /^ERR_(CERT_|SSL_|BAD_SSL_)/.test(code)) {
    return new AppError("SCRAPE_SSL_ERROR", undefined, { cause: error });
  }
  const detail = code ? `net::${code}` : (message.split("\n")[0] ?? message);
  return new AppError(
    "SCRAPE_SITE_ERROR",
    `Specified URL is failing to load in the browser. Error code: ${detail}`,
    { cause: error },
  );
}
