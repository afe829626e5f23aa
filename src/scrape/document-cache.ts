import { createHash } from "node:crypto";
import { asksModel, changeTrackingOf, type ScrapeRequest } from "./scrape-request.ts";

/** Firecrawl's documented default for maxAge: two days. */
export const DEFAULT_MAX_AGE_MS = 2 * 24 * 60 * 60 * 1000;

/**
 * Whether a scrape's document may come from, or go to, the shared cache. Requests that act on the
 * page, send their own headers, carry a profile, keep no data, want a screenshot (whose URL
 * expires sooner than the cache), want a model's answer (the cache keeps what a page said, not
 * what a model made of it) or track changes (a cached copy would always be "same") always go to
 * the browser.
 */
export function isCacheable(r: ScrapeRequest): boolean {
  const hasHeaders = r.headers !== undefined && Object.keys(r.headers).length > 0;
  const hasActions = r.actions !== undefined && r.actions.length > 0;
  const wantsScreenshot = r.formats.some((f) => f.type === "screenshot");
  const tracks = changeTrackingOf(r) !== undefined;
  const keepsOut = hasHeaders || hasActions || wantsScreenshot || tracks || asksModel(r);
  return !keepsOut && !r.profile && !r.zeroDataRetention;
}

/** The cache key: the URL plus every option that changes the document. */
export function cacheKey(r: ScrapeRequest): string {
  const shape = {
    url: r.url,
    formats: r.formats,
    onlyMainContent: r.onlyMainContent,
    includeTags: r.includeTags ?? null,
    excludeTags: r.excludeTags ?? null,
    waitFor: r.waitFor,
    mobile: r.mobile,
    location: r.location ?? null,
    removeBase64Images: r.removeBase64Images,
    blockAds: r.blockAds,
    parsers: r.parsers,
    skipTlsVerification: r.skipTlsVerification,
  };
  return createHash("sha256").update(JSON.stringify(shape)).digest("base64url");
}
