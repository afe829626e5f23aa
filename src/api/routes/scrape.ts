import type { FastifyInstance, FastifyRequest } from "fastify";
import { validate as isUuid } from "uuid";
import type { Config } from "../../config.ts";
import { AppError } from "../../errors.ts";
import { callerOf } from "../caller.ts";
import { scrapeRequestSchema } from "../../scrape/scrape-request.ts";
import type { ScrapeService } from "../../scrape/scrape-service.ts";
import { clientGoneSignal, publicBaseUrl } from "../request-context.ts";

export interface ScrapeRouteDeps {
  config: Config;
  scraper: ScrapeService;
}

/** The caller's URL exactly as sent: Firecrawl reports it unnormalized as `metadata.sourceURL`. */
function rawUrl(request: FastifyRequest): string {
  const body = request.body as { url?: unknown } | null;
  return typeof body?.url === "string" ? body.url : "";
}

export function registerScrapeRoutes(app: FastifyInstance, deps: ScrapeRouteDeps): void {
  app.post("/v2/scrape", async (request, reply) => {
    const caller = callerOf(request);
    const scrapeRequest = scrapeRequestSchema.parse(request.body);
    const { id, documentJson } = await deps.scraper.scrape(scrapeRequest, {
      teamId: caller.teamId,
      sourceURL: rawUrl(request),
      publicBaseUrl: publicBaseUrl(deps.config, request),
      signal: clientGoneSignal(reply),
    });
    // Firecrawl's website origin is the only caller that gets a top-level scrape_id.
    const scrapeId = scrapeRequest.origin.includes("website") ? `,"scrape_id":"${id}"` : "";
    return reply
      .type("application/json; charset=utf-8")
      .send(`{"success":true,"data":${documentJson}${scrapeId}}`);
  });

  app.get<{ Params: { jobId: string } }>("/v2/scrape/:jobId", async (request, reply) => {
    const caller = callerOf(request);
    if (!isUuid(request.params.jobId)) throw new AppError("INVALID_JOB_ID");
    const documentJson = await deps.scraper.storedDocument(request.params.jobId, caller.teamId);
    return reply
      .type("application/json; charset=utf-8")
      .send(`{"success":true,"data":${documentJson}}`);
  });
}
