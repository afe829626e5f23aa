import { isIP } from "node:net";
import { z } from "zod";

/** Firecrawl's test for "a scheme is present": `://` before any dot or colon. */
const HAS_SCHEME = /^[^.:]+:\/\//;
/** A final label of 2+ letters, digits or hyphens; punycode (`xn--`) covers non-ASCII TLDs. */
const HOST_WITH_TLD = /\.[a-z0-9-]{2,}$/i;

function withScheme(url: string): string {
  return HAS_SCHEME.test(url) ? url : `http://${url}`;
}

function hasTldOrIp(url: string): boolean {
  const host = URL.parse(url)?.hostname;
  if (host === undefined) return false;
  return isIP(host.replace(/^\[|\]$/g, "")) !== 0 || HOST_WITH_TLD.test(host);
}

/**
 * Firecrawl's `checkUrl`: an http(s) URL whose part before the first dot holds exactly one colon.
 * That rejects `http://http://example.com`, credentials and IPv6 literals, as upstream does.
 */
function passesCheckUrl(url: string): boolean {
  const parsed = URL.parse(url);
  if (parsed === null || !["http:", "https:"].includes(parsed.protocol)) return false;
  const beforeFirstDot = url.split(".")[0] ?? "";
  return beforeFirstDot.split(":").length === 2;
}

/**
 * The target URL: `http://` is prepended when no scheme is given. The protocol check is a regex
 * issue (`invalid_format`), not a custom one, so the wire `error` for it is "Bad Request", as upstream.
 */
export const urlSchema = z
  .string()
  .overwrite(withScheme)
  .url()
  .regex(/^https?:\/\//i, "URL uses unsupported protocol")
  .refine(hasTldOrIp, "URL must have a valid top-level domain or be an IP address")
  .refine(passesCheckUrl, "Invalid URL");
