import type { CheerioAPI } from "cheerio/slim";
import type { PageCapture } from "../page-capture.ts";
import { cleanHtml, serializeCleanHtml } from "./clean-html.ts";
import { decodeText, isHtmlType, parseContentType, transformDocument } from "./documents.ts";
import { documentBaseUrl, parseHtml } from "./html-dom.ts";
import { extractImages } from "./images.ts";
import { extractLinks } from "./links.ts";
import { renderMarkdown } from "./markdown.ts";
import { extractMetadata, type PageMetadata } from "./metadata.ts";

export interface TransformOptions {
  wants: { markdown: boolean; html: boolean; rawHtml: boolean; links: boolean; images: boolean };
  onlyMainContent: boolean;
  /** CSS selectors: keep only these. */
  includeTags?: string[] | undefined;
  /** CSS selectors: remove these. */
  excludeTags?: string[] | undefined;
  removeBase64Images: boolean;
  /** From `parsers: [{type: "pdf", maxPages}]`. */
  pdfMaxPages?: number | undefined;
  /** False when `parsers` is `[]`: a PDF gets metadata only, no markdown. */
  parsePdf: boolean;
}

export interface TransformResult {
  markdown?: string;
  html?: string;
  rawHtml?: string;
  links?: string[];
  images?: string[];
  metadata: PageMetadata;
}

/** The content fields of a scraped document: only the requested outputs, and always the metadata. */
export async function transformCapture(
  capture: PageCapture,
  options: TransformOptions,
): Promise<TransformResult> {
  if (capture.html !== undefined || capture.body === undefined) {
    return transformHtml(capture.html ?? "", new URL(capture.url), options);
  }
  const { mimeType, charset } = parseContentType(capture.contentType);
  if (isHtmlType(mimeType)) {
    return transformHtml(decodeText(capture.body, charset), new URL(capture.url), options);
  }
  return transformDocument(capture, options);
}

/** Parses once; metadata, links and images read the whole page before cleaning mutates it. */
function transformHtml(html: string, pageUrl: URL, options: TransformOptions): TransformResult {
  const $ = parseHtml(html);
  const baseUrl = documentBaseUrl($, pageUrl);
  const { wants } = options;
  const result: TransformResult = { metadata: extractMetadata($, pageUrl, baseUrl) };
  if (wants.rawHtml) result.rawHtml = html;
  if (wants.links) result.links = extractLinks($, baseUrl);
  if (wants.images) {
    result.images = extractImages($, baseUrl, { skipDataUris: options.removeBase64Images });
  }
  if (wants.html || wants.markdown) addCleanedOutputs($, baseUrl, options, result);
  return result;
}

function addCleanedOutputs(
  $: CheerioAPI,
  baseUrl: URL,
  options: TransformOptions,
  result: TransformResult,
): void {
  cleanHtml($, baseUrl, options);
  const html = serializeCleanHtml($);
  if (options.wants.html) result.html = html;
  if (options.wants.markdown) {
    const markdownOptions = {
      baseUrl: baseUrl.href,
      removeBase64Images: options.removeBase64Images,
    };
    result.markdown = renderMarkdown(html, markdownOptions);
  }
}
