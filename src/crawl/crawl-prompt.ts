import type { PageExtractor } from "../agent/page-extractor.ts";
import { AppError } from "../errors.ts";
import { mapRequestSchema } from "./map-request.ts";
import type { SiteMapper } from "./site-map.ts";

/** The crawler options a model may set from a prompt (spec §2.4 step 10), as a JSON schema. */
const OPTIONS_SCHEMA = {
  type: "object",
  properties: {
    includePaths: { type: "array", items: { type: "string" } },
    excludePaths: { type: "array", items: { type: "string" } },
    maxDiscoveryDepth: { type: "integer", minimum: 0 },
    crawlEntireDomain: { type: "boolean" },
    allowExternalLinks: { type: "boolean" },
    allowSubdomains: { type: "boolean" },
    sitemap: { type: "string", enum: ["skip", "include", "only"] },
    ignoreQueryParameters: { type: "boolean" },
    deduplicateSimilarURLs: { type: "boolean" },
    delay: { type: "number", exclusiveMinimum: 0, maximum: 60 },
    limit: { type: "integer", minimum: 1, maximum: 100000 },
  },
  additionalProperties: false,
};

const INSTRUCTIONS = [
  "The page lists URLs of a website. Choose crawler options that make a crawl of this site do",
  "what the user asks below. includePaths and excludePaths are regular expressions tested against",
  "URL paths (for example ^/blog/). Set only the options the request calls for.",
  "User request:",
].join(" ");

/** How many of the site's URLs the model sees (upstream's figure). */
const SITE_URLS = 120;

export type GeneratedOptions = Record<string, unknown>;

/**
 * Crawler options from a sentence: a map of the site, then the model. No model is a 503 that says
 * what to configure; a model that fails is upstream's 400.
 */
export class CrawlPrompt {
  readonly #extractor: PageExtractor | undefined;
  readonly #mapper: SiteMapper;

  constructor(extractor: PageExtractor | undefined, mapper: SiteMapper) {
    this.#extractor = extractor;
    this.#mapper = mapper;
  }

  async options(
    url: string,
    prompt: string,
    teamId: string,
    failure: string,
  ): Promise<GeneratedOptions> {
    if (!this.#extractor) throw new AppError("LLM_NOT_CONFIGURED");
    const { links } = await this.#mapper.map(mapOf(url), teamId, { billed: false });
    const markdown = links
      .slice(0, SITE_URLS)
      .map((link) => `- ${link.url}`)
      .join("\n");
    try {
      const answer = await this.#extractor.json(
        { markdown, url, schema: OPTIONS_SCHEMA, prompt: `${INSTRUCTIONS} ${prompt}` },
        AbortSignal.timeout(60_000),
      );
      return answer as GeneratedOptions;
    } catch {
      throw new AppError("BAD_REQUEST", failure);
    }
  }
}

function mapOf(url: string) {
  return mapRequestSchema.parse({ url, limit: SITE_URLS, filterByPath: false });
}
