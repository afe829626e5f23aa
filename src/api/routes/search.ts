import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Config } from "../../config.ts";
import { searchRequestSchema } from "../../search/search-request.ts";
import type { SearchService } from "../../search/search-service.ts";
import { callerOf } from "../caller.ts";
import { clientGoneSignal, publicBaseUrl } from "../request-context.ts";

export interface SearchRouteDeps {
  config: Config;
  searcher: SearchService;
}

/** The body's `scrapeOptions` as sent: each result's scrape parses it again with its own url. */
function rawScrapeOptions(request: FastifyRequest): Record<string, unknown> | undefined {
  const options = (request.body as { scrapeOptions?: unknown } | null)?.scrapeOptions;
  return typeof options === "object" && options !== null
    ? (options as Record<string, unknown>)
    : undefined;
}

/** `POST /v2/search` (spec §5). Its bad bodies have their own envelope: no `code` (spec §1.1). */
export function registerSearchRoutes(app: FastifyInstance, deps: SearchRouteDeps): void {
  app.post("/v2/search", async (request, reply) => {
    const caller = callerOf(request);
    const parsed = searchRequestSchema.safeParse(request.body);
    if (!parsed.success) {
      return reply.status(400).send({
        success: false,
        error: "Invalid request body",
        details: parsed.error.issues,
      });
    }
    const outcome = await deps.searcher.search(parsed.data, rawScrapeOptions(request), {
      teamId: caller.teamId,
      publicBaseUrl: publicBaseUrl(deps.config, request),
      signal: clientGoneSignal(reply),
    });
    return { success: true, data: outcome.data, creditsUsed: outcome.creditsUsed, id: outcome.id };
  });
}
