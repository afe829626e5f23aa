import { z } from "zod";
import { integrationSchema } from "../scrape/request/integration.ts";
import { threatProtectionSchema } from "../scrape/request/threat-protection.ts";
import { scrapeOptionsSchema } from "../scrape/scrape-request.ts";
import { parseTbs } from "./time-filter.ts";

/** Source types clients send that only Firecrawl's cloud has: dropped, not refused (spec §11). */
const CLOUD_SOURCES = new Set(["alexandria", "exchange"]);
const SOURCE_TYPES = ["web", "news", "images"] as const;
const CATEGORY_ALIASES: Record<string, string> = {
  repo: "developer",
  code: "developer",
  docs: "developer",
  devdex: "developer",
  repo_search: "developer",
  developer_index: "developer",
};
/** The formats a search may scrape its results with (spec §5.1). */
const SEARCH_FORMATS: ReadonlySet<string> = new Set([
  "markdown",
  "html",
  "rawHtml",
  "links",
  "images",
  "summary",
  "product",
  "menu",
  "json",
  "question",
  "highlights",
  "query",
  "screenshot",
]);
const HOSTNAME =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const sourceObject = z.union([
  z.strictObject({
    type: z.literal("web"),
    tbs: z.string().optional(),
    filter: z.string().optional(),
    lang: z.string().optional(),
    country: z.string().optional(),
    location: z.string().optional(),
  }),
  z.strictObject({ type: z.literal("news") }),
  z.strictObject({ type: z.literal("images") }),
]);

const sourceEntry = z.union([z.enum(SOURCE_TYPES), sourceObject], {
  error: (issue) =>
    typeof issue.input === "string"
      ? `Unknown source ${JSON.stringify(issue.input)}: sources are "web", "news" and "images"`
      : `Invalid source ${JSON.stringify(issue.input)}: a source object is {type:"web", tbs?, filter?, lang?, country?, location?}, {type:"news"} or {type:"images"}, with no other keys`,
});

/** Strings or objects; the cloud-only types are removed before validation. */
const sourcesSchema = z.preprocess(
  (value) => (Array.isArray(value) ? value.filter((s) => !CLOUD_SOURCES.has(typeOf(s))) : value),
  z
    .array(sourceEntry)
    .min(1, "sources must name at least one of web, news, images")
    .transform((list) => [...new Set(list.map((s) => (typeof s === "string" ? s : s.type)))]),
);

function typeOf(source: unknown): string {
  if (typeof source === "string") return source;
  const type = (source as { type?: unknown } | null)?.type;
  return typeof type === "string" ? type : "";
}

const categoryName = z
  .string()
  .transform((name) => CATEGORY_ALIASES[name] ?? name)
  .pipe(z.enum(["github", "research", "pdf", "developer"]));

const categoriesSchema = z
  .array(z.union([categoryName, z.strictObject({ type: categoryName }).transform((c) => c.type)]))
  .refine(
    (list) => !list.includes("developer") || list.length === 1,
    "the developer category cannot be combined with other categories",
  );

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .refine(
    (value) => HOSTNAME.test(value),
    "Domain must be a valid hostname without protocol or path",
  );

const searchScrapeOptions = scrapeOptionsSchema.refine(
  (options) => options.formats.every((f) => SEARCH_FORMATS.has(f.type)),
  {
    error: `Search can scrape its results in these formats only: ${[...SEARCH_FORMATS].join(", ")}`,
    path: ["formats"],
  },
);

/** A search scrapes nothing unless `formats` is given, unlike a scrape (markdown by default). */
function noFormatsMeansNone(value: unknown): unknown {
  if (typeof value !== "object" || value === null || "formats" in value) return value;
  return { ...value, formats: [] };
}

const searchBody = z.strictObject({
  query: z.string().refine((q) => q.trim().length > 0, "query must not be empty"),
  limit: z.int().min(1).max(100).prefault(10),
  sources: sourcesSchema.prefault(["web"]),
  categories: categoriesSchema.optional(),
  includeDomains: z.array(domain).optional(),
  excludeDomains: z.array(domain).optional(),
  tbs: z.string().optional(),
  filter: z.string().optional(),
  lang: z.string().prefault("en"),
  country: z.string().optional(),
  location: z.string().optional(),
  safe: z.boolean().optional(),
  timeout: z.int().positive().prefault(60_000),
  ignoreInvalidURLs: z.boolean().prefault(false),
  asyncScraping: z.boolean().prefault(false),
  highlights: z.boolean().optional(),
  enterprise: z.array(z.enum(["default", "anon", "zdr"])).optional(),
  scrapeOptions: z.preprocess(noFormatsMeansNone, searchScrapeOptions).optional(),
  threatProtection: threatProtectionSchema.optional(),
  origin: z.string().prefault("api"),
  integration: integrationSchema,
  __agentInterop: z.unknown().optional(),
  __searchPreviewToken: z.string().optional(),
  // Sent by the JS SDK and always by firecrawl-mcp; meaningful only on Firecrawl's cloud.
  toolDetail: z.string().optional(),
  domainTools: z.boolean().optional(),
});

type SearchBody = z.output<typeof searchBody>;

function tbsIssue(body: SearchBody): string | undefined {
  if (body.tbs === undefined) return undefined;
  const parsed = parseTbs(body.tbs);
  return typeof parsed === "string" ? parsed : undefined;
}

/** The body of `POST /v2/search` (spec §5.1), strict, with Firecrawl's defaults. */
export const searchRequestSchema = searchBody
  .superRefine((body, ctx) => {
    if (body.includeDomains?.length && body.excludeDomains?.length) {
      ctx.addIssue({
        code: "custom",
        message: "includeDomains and excludeDomains cannot both be specified",
        path: ["includeDomains"],
      });
    }
    const tbs = tbsIssue(body);
    if (tbs) ctx.addIssue({ code: "custom", message: tbs, path: ["tbs"] });
  })
  .transform((body) => ({
    ...body,
    country: body.country ?? (body.location === undefined ? "us" : undefined),
  }));

export type SearchRequest = z.output<typeof searchRequestSchema>;
