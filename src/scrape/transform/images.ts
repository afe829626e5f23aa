import type { CheerioAPI } from "cheerio/slim";
import type { Element } from "domhandler";
import { walkElements } from "./html-dom.ts";
import { parseSrcset, resolveUrl } from "./urls.ts";

export interface ImageOptions {
  /** Leave out `data:` URIs (the request's `removeBase64Images`). */
  skipDataUris: boolean;
}

/**
 * Image URLs of the whole page, absolute, de-duplicated, in document order: `img` `src`,
 * lazy-load `data-src` and `srcset` candidates, and `<picture><source srcset>`.
 */
export function extractImages($: CheerioAPI, baseUrl: URL, options: ImageOptions): string[] {
  const images = new Set<string>();
  const add = (raw: string | undefined): void => {
    const url = resolveUrl(raw, baseUrl);
    if (url !== undefined && !(options.skipDataUris && url.startsWith("data:"))) images.add(url);
  };
  walkElements($, (element) => {
    for (const raw of imageSources(element)) add(raw);
  });
  return [...images];
}

function imageSources(element: Element): (string | undefined)[] {
  const { attribs } = element;
  if (element.name === "img") {
    return [attribs.src, attribs["data-src"], ...srcsetUrls(attribs.srcset)];
  }
  if (element.name === "source" && element.parent !== null && "name" in element.parent) {
    return element.parent.name === "picture" ? srcsetUrls(attribs.srcset) : [];
  }
  return [];
}

function srcsetUrls(srcset: string | undefined): string[] {
  return srcset === undefined ? [] : parseSrcset(srcset).map((candidate) => candidate.url);
}
