import type { ImageResult, NewsResult, WebResult } from "./search-backend.ts";

/** One entry of SearXNG's `results` (only the fields Skiff reads). */
export interface SearxngItem {
  url?: string;
  title?: string;
  content?: string;
  publishedDate?: string | null;
  img_src?: string;
  thumbnail_src?: string;
  thumbnail?: string;
  resolution?: string;
}

const text = (value: unknown) => (typeof value === "string" ? value : undefined);

type Loose<T> = { [K in keyof T]: T[K] | undefined };

/** Keeps only the keys that have a value, as Firecrawl omits absent ones. */
function defined<T extends object>(value: Loose<T>): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function webOf(item: SearxngItem): WebResult {
  return { url: item.url ?? "", title: item.title ?? "", description: item.content ?? "" };
}

export function newsOf(item: SearxngItem): NewsResult {
  return defined<NewsResult>({
    title: text(item.title),
    url: text(item.url),
    snippet: text(item.content),
    date: text(item.publishedDate),
    imageUrl: text(item.thumbnail ?? item.img_src),
  });
}

/** `resolution` comes as "1920x1080" or "1920 x 1080". */
export function imageOf(item: SearxngItem): ImageResult {
  const size = /(\d+)\s*[x×]\s*(\d+)/.exec(item.resolution ?? "");
  return defined<ImageResult>({
    title: text(item.title),
    imageUrl: text(item.img_src),
    imageWidth: size ? Number(size[1]) : undefined,
    imageHeight: size ? Number(size[2]) : undefined,
    url: text(item.url),
  });
}
