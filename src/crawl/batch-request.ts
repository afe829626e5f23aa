import { z } from "zod";
import { integrationSchema } from "../scrape/request/integration.ts";
import { urlSchema } from "../scrape/request/url.ts";
import { scrapeOptionsSchema } from "../scrape/scrape-request.ts";
import { webhookSchema } from "./webhook-config.ts";

/** The body of `POST /v2/batch/scrape` (spec §3.1): the scrape options sit at the top level. */
export const batchRequestSchema = scrapeOptionsSchema.extend({
  urls: z.array(z.string()).min(1),
  webhook: webhookSchema.optional(),
  appendToId: z.uuid().optional(),
  ignoreInvalidURLs: z.boolean().optional(),
  maxConcurrency: z.int().positive().optional(),
  zeroDataRetention: z.boolean().prefault(false),
  origin: z.string().prefault("api"),
  integration: integrationSchema,
});

export type BatchRequest = z.output<typeof batchRequestSchema>;

/** The keys that belong to the batch rather than to each page's scrape. */
export const BATCH_KEYS = [
  "urls",
  "webhook",
  "appendToId",
  "ignoreInvalidURLs",
  "maxConcurrency",
  "zeroDataRetention",
  "origin",
  "integration",
] as const;

/** A URL of a batch as `/v2/scrape` normalizes it, and as the caller spelled it. */
export interface BatchUrl {
  url: string;
  raw: string;
}

/**
 * The URLs to scrape, normalized as `/v2/scrape` does, and those refused. Only an explicit
 * `ignoreInvalidURLs: true` lists malformed URLs instead of refusing the batch (spec §3.1); the
 * reply carries `invalidURLs` unless it was explicitly false.
 */
export function sortUrls(request: BatchRequest): {
  valid: BatchUrl[];
  invalid: string[] | undefined;
} {
  const valid: BatchUrl[] = [];
  const invalid: string[] = [];
  for (const raw of request.urls) {
    const parsed = urlSchema.safeParse(raw);
    if (parsed.success) valid.push({ url: parsed.data, raw });
    else if (request.ignoreInvalidURLs === true) invalid.push(raw);
    else throw parsed.error;
  }
  return { valid, invalid: request.ignoreInvalidURLs === false ? undefined : invalid };
}

export const NO_VALID_URLS = "No valid URLs provided";
