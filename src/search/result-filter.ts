import type { SearchRequest } from "./search-request.ts";

function parsed(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

const under = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`);

/**
 * Which result URLs a search keeps: inside `includeDomains`, outside `excludeDomains` (engines may
 * ignore `site:`), and with `ignoreInvalidURLs` only http(s) URLs another endpoint could scrape.
 */
export function urlFilter(request: SearchRequest): (url: string) => boolean {
  const include = request.includeDomains ?? [];
  const exclude = request.excludeDomains ?? [];
  return (raw) => {
    const url = parsed(raw);
    if (!url) return !request.ignoreInvalidURLs && include.length === 0;
    if (request.ignoreInvalidURLs && url.protocol !== "http:" && url.protocol !== "https:") {
      return false;
    }
    const host = url.hostname.toLowerCase();
    if (include.length > 0 && !include.some((d) => under(host, d))) return false;
    return !exclude.some((d) => under(host, d));
  };
}
