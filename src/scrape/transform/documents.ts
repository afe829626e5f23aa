import { AppError } from "../../errors.ts";
import type { PageCapture } from "../page-capture.ts";
import { readPdf } from "./pdf-text.ts";
import type { TransformOptions, TransformResult } from "./transform-capture.ts";

export interface ContentType {
  /** Lowercased `type/subtype`, without parameters. */
  mimeType: string;
  charset: string | undefined;
}

export function parseContentType(contentType: string): ContentType {
  const [essence = "", ...params] = contentType.split(";");
  const charsetParam = params
    .map((p) => p.trim())
    .find((p) => p.toLowerCase().startsWith("charset="));
  const charset = charsetParam?.slice("charset=".length).replace(/^"|"$/g, "").trim();
  return { mimeType: essence.trim().toLowerCase(), charset: charset || undefined };
}

export function isHtmlType(mimeType: string): boolean {
  return mimeType === "text/html" || mimeType === "application/xhtml+xml";
}

/** Decodes text bytes with the declared charset; an unknown label falls back to UTF-8. A BOM is dropped. */
export function decodeText(body: Uint8Array, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? "utf-8").decode(body);
  } catch {
    return new TextDecoder("utf-8").decode(body);
  }
}

/**
 * The content of a non-HTML body: JSON as a fenced block, other text as is, PDF text. The `html`
 * output is left out for these (there is no DOM); `rawHtml` is the decoded text of text types.
 */
export async function transformDocument(
  capture: PageCapture,
  options: TransformOptions,
): Promise<TransformResult> {
  const body = capture.body ?? Buffer.alloc(0);
  const { mimeType, charset } = parseContentType(capture.contentType);
  if (mimeType === "application/pdf" || isPdfBytes(body)) return transformPdf(body, options);
  if (!isTextType(mimeType)) {
    throw new AppError(
      "SCRAPE_UNSUPPORTED_FILE_ERROR",
      `Scrape resulted in unsupported file: ${capture.contentType}`,
    );
  }
  const text = decodeText(body, charset);
  const markdown = isJsonType(mimeType) ? fencedBlock(text.trim(), "json") : text;
  return withRequestedOutputs({ metadata: {} }, options, markdown, text);
}

async function transformPdf(body: Buffer, options: TransformOptions): Promise<TransformResult> {
  const maxPages = options.parsePdf ? (options.pdfMaxPages ?? Number.POSITIVE_INFINITY) : 0;
  const pdf = await readPdf(body, maxPages);
  const metadata = {
    numPages: pdf.numPages,
    ...(pdf.title === undefined ? {} : { title: pdf.title }),
  };
  const markdown = options.parsePdf ? pdf.pages.join("\n\n") : undefined;
  return withRequestedOutputs({ metadata }, options, markdown, undefined);
}

/** Only the requested fields; links and images of a non-HTML document are empty lists. */
function withRequestedOutputs(
  result: TransformResult,
  options: TransformOptions,
  markdown: string | undefined,
  rawText: string | undefined,
): TransformResult {
  const { wants } = options;
  if (wants.markdown && markdown !== undefined) result.markdown = markdown;
  if (wants.rawHtml && rawText !== undefined) result.rawHtml = rawText;
  if (wants.links) result.links = [];
  if (wants.images) result.images = [];
  return result;
}

function isPdfBytes(body: Buffer): boolean {
  return body.subarray(0, 5).toString() === "%PDF-";
}

function isJsonType(mimeType: string): boolean {
  return mimeType === "application/json" || mimeType.endsWith("+json");
}

const TEXT_APPLICATION_TYPES = new Set([
  "application/xml",
  "application/javascript",
  "application/ecmascript",
  "application/x-ndjson",
]);

function isTextType(mimeType: string): boolean {
  const textFamily = mimeType.startsWith("text/") || mimeType.endsWith("+xml");
  return textFamily || isJsonType(mimeType) || TEXT_APPLICATION_TYPES.has(mimeType);
}

/** A fenced code block whose fence is longer than any backtick run in the text. */
function fencedBlock(text: string, language: string): string {
  const longestRun = (text.match(/`+/g) ?? []).reduce((max, run) => Math.max(max, run.length), 2);
  const fence = "`".repeat(longestRun + 1);
  return `${fence}${language}\n${text}\n${fence}`;
}
