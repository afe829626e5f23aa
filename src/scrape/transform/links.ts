import type { CheerioAPI } from "cheerio/slim";
import { walkElements } from "./html-dom.ts";
import { resolveUrl } from "./urls.ts";

/** Every `a[href]` of the whole page, absolute, de-duplicated, in document order; `javascript:` links dropped. */
export function extractLinks($: CheerioAPI, baseUrl: URL): string[] {
  const links = new Set<string>();
  walkElements($, (element) => {
    if (element.name !== "a") return;
    const url = resolveUrl(element.attribs.href, baseUrl);
    if (url !== undefined && !url.startsWith("javascript:")) links.add(url);
  });
  return [...links];
}
