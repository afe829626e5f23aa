import { z } from "zod";
import { AppError } from "../errors.ts";
import { integrationSchema } from "../scrape/request/integration.ts";
import { urlSchema } from "../scrape/request/url.ts";
import { scrapeOptionsSchema } from "../scrape/scrape-request.ts";
import { webhookSchema } from "./webhook-config.ts";

const DELAY_MESSAGE = "The delay parameter is measured in seconds and cannot exceed 60 seconds.";
const MAX_PATTERNS = 1000;
const MAX_PATTERN_CHARS = 2000;

/** The body of `POST /v2/crawl` (spec §2.1), with upstream's defaults. */
export const crawlRequestSchema = z.strictObject({
  url: urlSchema,
  includePaths: z.array(z.string()).prefault([]),
  excludePaths: z.array(z.string()).prefault([]),
  maxDiscoveryDepth: z.int().min(0).optional(),
  limit: z.int().min(1).max(100_000).prefault(10_000),
  crawlEntireDomain: z.boolean().prefault(false),
  allowExternalLinks: z.boolean().prefault(false),
  allowSubdomains: z.boolean().prefault(false),
  ignoreRobotsTxt: z.boolean().prefault(false),
  robotsUserAgent: z.string().optional(),
  sitemap: z.enum(["skip", "include", "only"]).prefault("include"),
  deduplicateSimilarURLs: z.boolean().prefault(true),
  ignoreQueryParameters: z.boolean().prefault(false),
  regexOnFullURL: z.boolean().prefault(false),
  delay: z.number().positive().max(60, DELAY_MESSAGE).optional(),
  maxConcurrency: z.int().positive().optional(),
  scrapeOptions: scrapeOptionsSchema.prefault({}),
  webhook: webhookSchema.optional(),
  zeroDataRetention: z.boolean().prefault(false),
  prompt: z.string().max(10_000).optional(),
  origin: z.string().prefault("api"),
  integration: integrationSchema,
});

export type CrawlRequest = z.output<typeof crawlRequestSchema>;

/** The merged options a prompted crawl reports, without its URL, scrape options and prompt. */
export function finalCrawlerOptions(request: CrawlRequest): Record<string, unknown> {
  const options: Record<string, unknown> = { ...request };
  for (const key of ["url", "scrapeOptions", "prompt"]) delete options[key];
  return options;
}

/** The crawl's path patterns, compiled; a bad one is a 400 naming it (spec §2.1, NEWER). */
export function compilePatterns(request: Pick<CrawlRequest, "includePaths" | "excludePaths">): {
  includePaths: RegExp[];
  excludePaths: RegExp[];
} {
  const all = [...request.includePaths, ...request.excludePaths];
  if (request.includePaths.length > MAX_PATTERNS || request.excludePaths.length > MAX_PATTERNS) {
    throw new AppError(
      "BAD_REQUEST",
      "includePaths and excludePaths each accept at most 1000 patterns.",
    );
  }
  if (all.length > MAX_PATTERNS) {
    throw new AppError(
      "BAD_REQUEST",
      `includePaths and excludePaths together accept at most 1000 patterns (got ${all.length}).`,
    );
  }
  if (all.some((p) => p.length > MAX_PATTERN_CHARS)) {
    throw new AppError(
      "BAD_REQUEST",
      "Each includePaths/excludePaths pattern must be at most 2000 characters.",
    );
  }
  return {
    includePaths: request.includePaths.map((p) => compile("includePaths", p)),
    excludePaths: request.excludePaths.map((p) => compile("excludePaths", p)),
  };
}

function compile(field: string, pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (err) {
    throw new AppError(
      "BAD_REQUEST",
      `Invalid ${field} pattern "${pattern}": ${(err as Error).message}.`,
    );
  }
}
