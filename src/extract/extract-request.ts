import { z } from "zod";
import { webhookSchema, type WebhookConfig } from "../crawl/webhook-config.ts";
import { integrationSchema } from "../scrape/request/integration.ts";
import { llmJsonSchema } from "../scrape/request/json-schema.ts";
import { compileSchema } from "../scrape/request/schema-validator.ts";
import { scrapeOptionsSchema } from "../scrape/scrape-request.ts";

export const TOO_MANY_URLS = "Maximum of 10 URLs allowed per request while in beta.";
export const URLS_OR_PROMPT = "Either 'urls' or 'prompt' must be provided.";
export const INVALID_SCHEMA = "Invalid JSON schema.";
export const USE_AGENT =
  "Use the new /agent endpoint instead of passing agent.model=v3-beta into /extract.";

function compiles(schema: unknown): boolean {
  if (schema === undefined) return true;
  try {
    compileSchema(schema);
    return true;
  } catch {
    return false;
  }
}

/** Upstream's experimental keys: accepted so no SDK call is refused, and otherwise ignored. */
const experimental = {
  __experimental_streamSteps: z.boolean().optional(),
  __experimental_llmUsage: z.boolean().optional(),
  __experimental_showSources: z.boolean().optional(),
  __experimental_cacheKey: z.string().optional(),
  __experimental_cacheMode: z.enum(["direct", "save", "load"]).optional(),
  __experimental_showCostTracking: z.boolean().optional(),
};

/**
 * The body of `POST /v2/extract` (spec §6, strict). `urls` stay strings here: each is checked on
 * its own (a trailing `/*` asks for the site's pages under that path), so that `ignoreInvalidURLs`
 * can list the bad ones instead of refusing the request.
 */
export const extractRequestSchema = z
  .strictObject({
    urls: z.array(z.string()).max(10, TOO_MANY_URLS).optional(),
    prompt: z.string().max(10_000).optional(),
    systemPrompt: z.string().max(10_000).optional(),
    schema: z
      .any()
      .optional()
      .refine(compiles, { error: INVALID_SCHEMA, abort: true })
      .pipe(llmJsonSchema),
    limit: z.int().positive().optional(),
    ignoreSitemap: z.boolean().prefault(false),
    includeSubdomains: z.boolean().prefault(true),
    allowExternalLinks: z.boolean().prefault(false),
    enableWebSearch: z.boolean().prefault(false),
    showSources: z.boolean().prefault(false),
    scrapeOptions: scrapeOptionsSchema.optional(),
    ignoreInvalidURLs: z.boolean().prefault(true),
    webhook: webhookSchema.optional(),
    timeout: z.int().min(1000).optional(),
    agent: z.looseObject({ model: z.string().optional() }).optional(),
    urlTrace: z.boolean().optional(),
    threatProtection: z.unknown().optional(),
    origin: z.string().prefault("api"),
    integration: integrationSchema,
    ...experimental,
  })
  .refine((body) => body.urls !== undefined || body.prompt !== undefined, URLS_OR_PROMPT)
  .refine((body) => body.agent?.model !== "v3-beta", USE_AGENT)
  .transform((body) => ({
    ...body,
    showSources: body.showSources || body.__experimental_showSources === true,
    // Upstream follows links off the site once the web is searched anyway (spec §6).
    allowExternalLinks: body.allowExternalLinks || body.enableWebSearch,
  }));

export type ExtractRequest = z.output<typeof extractRequestSchema>;

/** What an extract job keeps of its request, in its group's `request`. */
export interface StoredExtract {
  kind: "extract";
  /** The URLs to read; `wildcard` ones are mapped for the pages under them. */
  urls: { url: string; wildcard: boolean }[];
  prompt?: string;
  systemPrompt?: string;
  schema?: unknown;
  limit?: number;
  ignoreSitemap: boolean;
  includeSubdomains: boolean;
  allowExternalLinks: boolean;
  enableWebSearch: boolean;
  showSources: boolean;
  /** As the caller sent them; each page's request is parsed from them. */
  scrapeOptions: Record<string, unknown>;
  timeout?: number;
  publicBaseUrl: string;
  /** `extract.started`/`completed`/`failed` go here (extract-webhook.ts); null sends nothing. */
  webhook: WebhookConfig | null;
}
