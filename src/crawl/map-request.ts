import { z } from "zod";
import { integrationSchema } from "../scrape/request/integration.ts";
import { locationSchema } from "../scrape/request/location.ts";
import { urlSchema } from "../scrape/request/url.ts";

/**
 * The body of `POST /v2/map` (spec §4.1). The crawl options upstream accepts and ignores here are
 * accepted (and ignored) too, so no SDK call is refused.
 */
export const mapRequestSchema = z.strictObject({
  url: urlSchema,
  search: z.string().optional(),
  sitemap: z.enum(["only", "include", "skip"]).prefault("include"),
  includeSubdomains: z.boolean().prefault(true),
  ignoreQueryParameters: z.boolean().prefault(true),
  limit: z.int().min(1).max(100_000).prefault(5000),
  timeout: z.number().positive().optional(),
  location: locationSchema.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  filterByPath: z.boolean().prefault(true),
  useIndex: z.boolean().prefault(true),
  ignoreCache: z.boolean().prefault(false),
  useMock: z.string().optional(),
  allowExternalLinks: z.boolean().prefault(false),
  includePaths: z.array(z.string()).optional(),
  excludePaths: z.array(z.string()).optional(),
  maxDiscoveryDepth: z.number().optional(),
  crawlEntireDomain: z.boolean().optional(),
  allowSubdomains: z.boolean().optional(),
  ignoreRobotsTxt: z.boolean().optional(),
  robotsUserAgent: z.string().optional(),
  deduplicateSimilarURLs: z.boolean().optional(),
  regexOnFullURL: z.boolean().optional(),
  delay: z.number().optional(),
  threatProtection: z.unknown().optional(),
  auditMetadata: z.unknown().optional(),
  origin: z.string().prefault("api"),
  integration: integrationSchema,
});

export type MapRequest = z.output<typeof mapRequestSchema>;
