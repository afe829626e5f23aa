import type { CheerioAPI } from "cheerio/slim";
import type { Element } from "domhandler";
import { walkElements } from "./html-dom.ts";
import { resolveUrl } from "./urls.ts";

/**
 * The page-derived part of a document's `metadata` (spec §1.5). Besides the named fields, every
 * `<meta name|property|itemprop>` appears under its own name: a string, or a string[] when repeated.
 */
export interface PageMetadata {
  title?: string;
  description?: string;
  language?: string;
  keywords?: string;
  robots?: string;
  ogTitle?: string;
  ogDescription?: string;
  ogUrl?: string;
  ogImage?: string;
  ogAudio?: string;
  ogDeterminer?: string;
  ogLocale?: string;
  ogLocaleAlternate?: string[];
  ogSiteName?: string;
  ogVideo?: string;
  favicon?: string;
  dcTermsCreated?: string;
  dcDateCreated?: string;
  dcDate?: string;
  dcTermsType?: string;
  dcType?: string;
  dcTermsAudience?: string;
  dcTermsSubject?: string;
  dcSubject?: string;
  dcDescription?: string;
  dcTermsKeywords?: string;
  modifiedTime?: string;
  publishedTime?: string;
  articleTag?: string;
  articleSection?: string;
  /** PDFs: page count of the document. */
  numPages?: number;
  [name: string]: string | string[] | number | undefined;
}

/** Named fields filled from the first meta tag of a (case-insensitive) name. */
const SINGLE_VALUE_FIELDS: readonly (readonly [string, string])[] = [
  ["keywords", "keywords"],
  ["robots", "robots"],
  ["ogTitle", "og:title"],
  ["ogDescription", "og:description"],
  ["ogUrl", "og:url"],
  ["ogImage", "og:image"],
  ["ogAudio", "og:audio"],
  ["ogDeterminer", "og:determiner"],
  ["ogLocale", "og:locale"],
  ["ogSiteName", "og:site_name"],
  ["ogVideo", "og:video"],
  ["dcTermsCreated", "dcterms.created"],
  ["dcDateCreated", "dc.date.created"],
  ["dcDate", "dc.date"],
  ["dcTermsType", "dcterms.type"],
  ["dcType", "dc.type"],
  ["dcTermsAudience", "dcterms.audience"],
  ["dcTermsSubject", "dcterms.subject"],
  ["dcSubject", "dc.subject"],
  ["dcDescription", "dc.description"],
  ["dcTermsKeywords", "dcterms.keywords"],
  ["modifiedTime", "article:modified_time"],
  ["publishedTime", "article:published_time"],
  ["articleTag", "article:tag"],
  ["articleSection", "article:section"],
];

interface MetaTag {
  name: string;
  content: string;
}

interface PageHead {
  title: string | undefined;
  language: string | undefined;
  metas: MetaTag[];
  /** `link[rel~=icon]` hrefs first, then other icon-ish links such as `apple-touch-icon`. */
  iconHrefs: { exact: string[]; loose: string[] };
}

/** Reads the metadata of a parsed page; call it before cleaning, which drops `<head>`. */
export function extractMetadata($: CheerioAPI, pageUrl: URL, baseUrl: URL): PageMetadata {
  const head = readPageHead($);
  const values = groupByLowercaseName(head.metas);
  const metadata: PageMetadata = {};
  setIfPresent(metadata, "title", head.title ?? values.get("og:title")?.[0]);
  setIfPresent(metadata, "description", values.get("description")?.join(", "));
  setIfPresent(metadata, "language", head.language);
  for (const [field, name] of SINGLE_VALUE_FIELDS) {
    setIfPresent(metadata, field, values.get(name)?.[0]);
  }
  const alternates = values.get("og:locale:alternate");
  if (alternates !== undefined) metadata.ogLocaleAlternate = alternates;
  setIfPresent(metadata, "favicon", faviconUrl(head.iconHrefs, pageUrl, baseUrl));
  addCustomMetaTags(metadata, head.metas);
  return metadata;
}

function readPageHead($: CheerioAPI): PageHead {
  const head: PageHead = {
    title: undefined,
    language: undefined,
    metas: [],
    iconHrefs: { exact: [], loose: [] },
  };
  walkElements($, (element) => {
    if (element.name === "svg") return false;
    readHeadElement($, element, head);
    return true;
  });
  return head;
}

function readHeadElement($: CheerioAPI, element: Element, head: PageHead): void {
  const { attribs } = element;
  if (element.name === "meta") {
    const name = attribs.name || attribs.property || attribs.itemprop;
    const content = attribs.content;
    if (name && content) head.metas.push({ name, content });
  } else if (element.name === "title" && head.title === undefined) {
    head.title = $(element).text().trim() || undefined;
  } else if (element.name === "html" && attribs.lang) {
    head.language = attribs.lang;
  } else if (element.name === "link" && attribs.href) {
    const rel = (attribs.rel ?? "").toLowerCase();
    if (rel.split(/\s+/).includes("icon")) head.iconHrefs.exact.push(attribs.href);
    else if (rel.includes("icon")) head.iconHrefs.loose.push(attribs.href);
  }
}

function groupByLowercaseName(metas: readonly MetaTag[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { name, content } of metas) {
    const key = name.toLowerCase();
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [content]);
    else group.push(content);
  }
  return groups;
}

/** The first `icon` link, else any icon-ish link, else the conventional `/favicon.ico` (http pages). */
function faviconUrl(
  iconHrefs: PageHead["iconHrefs"],
  pageUrl: URL,
  baseUrl: URL,
): string | undefined {
  for (const href of [...iconHrefs.exact, ...iconHrefs.loose]) {
    const resolved = resolveUrl(href, baseUrl);
    if (resolved !== undefined) return resolved;
  }
  return pageUrl.protocol.startsWith("http") ? new URL("/favicon.ico", pageUrl).href : undefined;
}

/** Meta tags under their own names; a name already taken by a named field keeps the named value. */
function addCustomMetaTags(metadata: PageMetadata, metas: readonly MetaTag[]): void {
  const custom = new Map<string, string | string[]>();
  for (const { name, content } of metas) {
    if (name === "__proto__" || Object.hasOwn(metadata, name)) continue;
    const previous = custom.get(name);
    if (previous === undefined) custom.set(name, content);
    else if (Array.isArray(previous)) previous.push(content);
    else custom.set(name, [previous, content]);
  }
  for (const [name, value] of custom) metadata[name] = value;
}

function setIfPresent(metadata: PageMetadata, field: string, value: string | undefined): void {
  if (value !== undefined && value !== "") metadata[field] = value;
}
