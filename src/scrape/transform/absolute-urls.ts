import type { CheerioAPI } from "cheerio/slim";
import type { Element } from "domhandler";
import { walkElements } from "./html-dom.ts";
import { largestSrcsetUrl, parseSrcset, resolveUrl } from "./urls.ts";

const URL_ATTRIBUTES = ["href", "src", "poster"] as const;

/**
 * Rewrites `href`, `src`, `poster` and `srcset` URLs to absolute ones against the document's base URL.
 * An `img` gets its largest `srcset` candidate (or lazy `data-src`) as `src`, so markdown links the best image.
 */
export function absolutizeUrls($: CheerioAPI, baseUrl: URL): void {
  walkElements($, (element) => {
    const { attribs } = element;
    if (element.name === "img") pickImageSource(element);
    for (const name of URL_ATTRIBUTES) absolutizeAttribute(element, name, baseUrl);
    if (attribs.srcset !== undefined) attribs.srcset = absoluteSrcset(attribs.srcset, baseUrl);
  });
}

/** A lazy-loaded image's real URL (`data-src`) replaces a missing or placeholder `data:` source. */
function pickImageSource(img: Element): void {
  const { attribs } = img;
  const lazySource = attribs["data-src"];
  if (lazySource && (!attribs.src || attribs.src.startsWith("data:"))) attribs.src = lazySource;
  if (attribs.srcset === undefined) return;
  const largest = largestSrcsetUrl(attribs.srcset, attribs.src);
  if (largest !== undefined) attribs.src = largest;
}

function absolutizeAttribute(element: Element, name: string, baseUrl: URL): void {
  const value = element.attribs[name];
  if (value === undefined) return;
  const resolved = resolveUrl(value, baseUrl);
  if (resolved !== undefined) element.attribs[name] = resolved;
}

function absoluteSrcset(srcset: string, baseUrl: URL): string {
  return parseSrcset(srcset)
    .map(({ url, descriptor }) => {
      const absolute = resolveUrl(url, baseUrl) ?? url;
      return descriptor === "" ? absolute : `${absolute} ${descriptor}`;
    })
    .join(", ");
}
