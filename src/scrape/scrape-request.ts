import { z } from "zod";
import { ERRORS } from "../errors.ts";
import {
  MAX_TOTAL_WAIT_MS,
  TOTAL_WAIT_MESSAGE,
  actionsSchema,
  totalWaitMs,
} from "./request/actions.ts";
import { formatsSchema } from "./request/formats.ts";
import { integrationSchema } from "./request/integration.ts";
import { locationSchema } from "./request/location.ts";
import { parsersSchema } from "./request/parsers.ts";
import { redactPIISchema } from "./request/redact-pii.ts";
import { threatProtectionSchema } from "./request/threat-protection.ts";
import { urlSchema } from "./request/url.ts";

/** Formats whose value the configured language model writes. */
export const LLM_FORMATS: ReadonlySet<string> = new Set([
  "json",
  "summary",
  "question",
  "highlights",
  "query",
]);

export type ChangeTrackingFormat = Extract<Format, { type: "changeTracking" }>;

/** The request's `changeTracking` format, if it has one. */
export function changeTrackingOf(request: ScrapeRequest): ChangeTrackingFormat | undefined {
  return request.formats.find((f): f is ChangeTrackingFormat => f.type === "changeTracking");
}

/**
 * Whether the request asks for anything the model writes (and so needs the page as markdown):
 * an LLM format, or change tracking's `json` mode.
 */
export function asksModel(request: ScrapeRequest): boolean {
  if (changeTrackingOf(request)?.modes.includes("json")) return true;
  return request.formats.some((f) => LLM_FORMATS.has(f.type));
}

/** Formats that need a model in ways Skiff does not implement; the schema accepts them, the scrape refuses them. */
export const UNIMPLEMENTED_LLM_FORMATS: ReadonlySet<string> = new Set(["deterministicJson"]);

/** Formats Firecrawl serves only from its cloud; Skiff accepts them in the schema and refuses them later. */
export const UNSUPPORTED_FORMATS: ReadonlySet<string> = new Set([
  "branding",
  "product",
  "menu",
  "audio",
  "video",
  "rawBase64",
  "attributes",
]);

/** Upstream's maxAge for lockdown without one: two years, short of overflowing Postgres dates. */
const LOCKDOWN_MAX_AGE_MS = 2 * 365 * 24 * 60 * 60 * 1000;
const CHANGE_TRACKING_MIN_WAIT_MS = 5000;

/** `iframe` in a tag selector means the placeholder the cleaner leaves for inlined iframes. */
function rewriteIframeSelector(selector: string): string {
  return selector.replace(/(^|[\s,])iframe(?=$|[\s.#[:,])/g, '$1div[data-original-tag="iframe"]');
}

const tagSelectors = z.array(z.string()).transform((tags) => tags.map(rewriteIframeSelector));

const scrapeRequestBody = z.strictObject({
  url: urlSchema,
  formats: formatsSchema,
  headers: z.record(z.string(), z.string()).optional(),
  includeTags: tagSelectors.optional(),
  excludeTags: tagSelectors.optional(),
  onlyMainContent: z.boolean().prefault(true),
  onlyCleanContent: z.boolean().prefault(false),
  timeout: z.int().positive().min(1000).optional(),
  waitFor: z.int().min(0).max(60_000).prefault(0),
  mobile: z.boolean().prefault(false),
  parsers: parsersSchema,
  actions: actionsSchema.optional(),
  location: locationSchema.optional(),
  skipTlsVerification: z.boolean().optional(),
  removeBase64Images: z.boolean().prefault(true),
  fastMode: z.boolean().prefault(false),
  useMock: z.string().optional(),
  blockAds: z.boolean().prefault(true),
  proxy: z.enum(["basic", "stealth", "enhanced", "auto"]).prefault("auto"),
  maxAge: z.int().min(0).optional(),
  minAge: z.int().min(0).optional(),
  storeInCache: z.boolean().prefault(true),
  lockdown: z.boolean().prefault(false),
  redactPII: redactPIISchema,
  threatProtection: threatProtectionSchema.optional(),
  auditMetadata: z.strictObject({ username: z.string().max(1024) }).optional(),
  profile: z
    .object({ name: z.string().min(1).max(128), saveChanges: z.boolean().default(true) })
    .optional(),
  zeroDataRetention: z.boolean().optional(),
  origin: z.string().prefault("api"),
  integration: integrationSchema,
  // Internal upstream fields, accepted so that their callers are not refused.
  __agentInterop: z
    .object({
      auth: z.string(),
      requestId: z.string(),
      shouldBill: z.boolean(),
      boostConcurrency: z.boolean().optional(),
    })
    .optional(),
  __searchPreviewToken: z.string().optional(),
  __experimental_omce: z.boolean().prefault(false),
  __experimental_omceDomain: z.string().optional(),
  __experimental_engpicker: z.boolean().prefault(false),
  __forceFirePDF: z.boolean().prefault(false),
});

type ScrapeRequestBody = z.output<typeof scrapeRequestBody>;

/**
 * Every scrape option but the page and who asks for it: a crawl's `scrapeOptions` and a batch's
 * top-level options. Each page's request is `scrapeRequestSchema` of these plus its `url`.
 */
export const scrapeOptionsSchema = scrapeRequestBody.omit({
  url: true,
  origin: true,
  integration: true,
  zeroDataRetention: true,
});

function waitFitsTimeout(body: ScrapeRequestBody): boolean {
  if (!body.waitFor || !body.timeout) return true;
  return body.waitFor <= body.timeout / 2;
}

/** TLS errors are ignored by default, but not once the caller sends headers or actions. */
function defaultSkipTls(body: ScrapeRequestBody): boolean {
  if (body.skipTlsVerification !== undefined) return body.skipTlsVerification;
  const hasHeaders = Object.keys(body.headers ?? {}).length > 0;
  return !hasHeaders && (body.actions ?? []).length === 0;
}

/**
 * Upstream bumps an explicit `timeout: 30000` (its old SDK default) for slow features; any other
 * value, or none, is left alone.
 */
function legacyTimeout(body: ScrapeRequestBody, hasChangeTracking: boolean): number | undefined {
  if (body.timeout !== 30_000) return body.timeout;
  if (body.proxy !== "basic") return 120_000;
  const hasJson = body.formats.some((format) => format.type === "json");
  return hasJson || hasChangeTracking ? 60_000 : body.timeout;
}

function applyDefaults(body: ScrapeRequestBody) {
  const hasChangeTracking = body.formats.some((format) => format.type === "changeTracking");
  const result = { ...body, skipTlsVerification: defaultSkipTls(body) };
  const timeout = legacyTimeout(body, hasChangeTracking);
  if (timeout !== undefined) result.timeout = timeout;
  if (hasChangeTracking && result.waitFor < CHANGE_TRACKING_MIN_WAIT_MS) {
    result.waitFor = CHANGE_TRACKING_MIN_WAIT_MS;
  }
  if (body.lockdown && body.maxAge === undefined) result.maxAge = LOCKDOWN_MAX_AGE_MS;
  return result;
}

/** The body of `POST /v2/scrape`, validated, with Firecrawl's defaults and rewrites applied. */
export const scrapeRequestSchema = scrapeRequestBody
  .refine(
    (body) => totalWaitMs(body.actions ?? [], body.waitFor) <= MAX_TOTAL_WAIT_MS,
    TOTAL_WAIT_MESSAGE,
  )
  .refine(waitFitsTimeout, { error: "waitFor must not exceed half of timeout", path: ["waitFor"] })
  .transform(applyDefaults);

export type ScrapeRequest = z.output<typeof scrapeRequestSchema>;
export type Format = ScrapeRequest["formats"][number];
export type Action = NonNullable<ScrapeRequest["actions"]>[number];
export type ScreenshotFormat = Extract<Format, { type: "screenshot" }>;

/**
 * An issue inside one entry of a `formats` list. Upstream's zod (4.1) reports a bad entry, extra
 * key or not, as the union failing as a whole, so Firecrawl says "Bad Request" (spec §15).
 */
function inFormatEntry(issue: z.core.$ZodIssue): boolean {
  const at = issue.path.indexOf("formats");
  return at >= 0 && typeof issue.path[at + 1] === "number";
}

/** The wire `error` for a rejected body: Firecrawl surfaces only custom messages, else a fixed text. */
export function errorMessageForZod(error: z.ZodError): string {
  const unrecognized = (issue: z.core.$ZodIssue) =>
    issue.code === "unrecognized_keys" && !inFormatEntry(issue);
  if (error.issues.some(unrecognized)) return ERRORS.UNRECOGNIZED_KEYS.message;
  const first = error.issues[0];
  return first?.code === "custom" ? first.message : ERRORS.BAD_REQUEST.message;
}
