import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { validate as isUuid } from "uuid";
import { z } from "zod";
import type { Config } from "../../config.ts";
import { AppError } from "../../errors.ts";
import { BATCH_KEYS, batchRequestSchema, sortUrls } from "../../crawl/batch-request.ts";
import { crawlRequestSchema, finalCrawlerOptions } from "../../crawl/crawl-request.ts";
import type { CrawlService } from "../../crawl/crawl-service.ts";
import { mapRequestSchema } from "../../crawl/map-request.ts";
import { mapWarning, type SiteMapper } from "../../crawl/site-map.ts";
import { parsePagination } from "../../crawl/job-status.ts";
import type { JobGroupKind } from "../../store/job-queue.ts";
import { callerOf } from "../caller.ts";
import { publicBaseUrl } from "../request-context.ts";

export interface CrawlRouteDeps {
  config: Config;
  crawls: CrawlService;
  mapper: SiteMapper;
}

/** Upstream's own, non-strict body for the preview (spec §2.10). */
const previewSchema = z.object({ url: z.url(), prompt: z.string().max(10_000) });

type IdRequest = FastifyRequest<{
  Params: { jobId: string };
  Querystring: Record<string, unknown>;
}>;

/** `/v2/crawl` and `/v2/batch/scrape` (start, status, cancel, errors) and `/v2/map` (spec §2–§4). */
export function registerCrawlRoutes(app: FastifyInstance, deps: CrawlRouteDeps): void {
  app.post("/v2/crawl", async (request) => {
    const caller = callerOf(request);
    const raw = request.body as Record<string, unknown>;
    const parsed = crawlRequestSchema.parse(raw);
    const { request: body, generated } = await deps.crawls.applyPrompt(raw, parsed, caller.teamId);
    const base = publicBaseUrl(deps.config, request);
    const id = await deps.crawls.startCrawl(body, {
      teamId: caller.teamId,
      publicBaseUrl: base,
      rawScrapeOptions: (raw.scrapeOptions as Record<string, unknown> | undefined) ?? {},
    });
    const url = `${base}/v2/crawl/${id}`;
    if (!generated) return { success: true, id, url };
    return {
      success: true,
      id,
      url,
      promptGeneratedOptions: generated,
      finalCrawlerOptions: finalCrawlerOptions(body),
    };
  });

  app.post("/v2/crawl/params-preview", async (request) => {
    const caller = callerOf(request);
    const parsed = previewSchema.safeParse(request.body);
    if (!parsed.success) {
      const messages = parsed.error.issues.map((issue) => issue.message).join(", ");
      throw new AppError("BAD_REQUEST", `Invalid request parameters: ${messages}`);
    }
    const { url, prompt } = parsed.data;
    const generated = await deps.crawls.previewPrompt(url, prompt, caller.teamId);
    return { success: true, data: { url, ...generated } };
  });

  for (const path of ["/v2/crawl/active", "/v2/crawl/ongoing"]) {
    app.get(path, async (request) => ({
      success: true,
      crawls: await deps.crawls.active(callerOf(request).teamId),
    }));
  }

  app.post("/v2/batch/scrape", async (request) => {
    const caller = callerOf(request);
    const body = batchRequestSchema.parse(request.body);
    const base = publicBaseUrl(deps.config, request);
    const { id, invalid } = await deps.crawls.startBatch(body, sortUrls(body), {
      teamId: caller.teamId,
      publicBaseUrl: base,
      rawScrapeOptions: scrapeOptionsOf(request.body as Record<string, unknown>),
    });
    const url = `${base}/v2/batch/scrape/${id}`;
    return { success: true, id, url, ...(invalid && { invalidURLs: invalid }) };
  });

  app.post("/v2/map", async (request) => {
    const caller = callerOf(request);
    const body = mapRequestSchema.parse(request.body);
    const { id, links } = await deps.mapper.map(body, caller.teamId);
    const warning = mapWarning(links, body);
    return { success: true, id, links, ...(warning && { warning }) };
  });

  registerJobRoutes(app, deps, "crawl", "/v2/crawl");
  registerJobRoutes(app, deps, "batch", "/v2/batch/scrape");
}

function registerJobRoutes(
  app: FastifyInstance,
  deps: CrawlRouteDeps,
  kind: JobGroupKind,
  prefix: string,
): void {
  app.get(`${prefix}/:jobId`, async (request: IdRequest, reply) => {
    const caller = callerOf(request);
    checkJobId(request.params.jobId);
    const { skip, limit } = parsePagination(request.query);
    const limitGiven = typeof request.query.limit === "string" ? request.query.limit : undefined;
    const body = await deps.crawls.status(kind, request.params.jobId, caller.teamId, {
      skip,
      limit,
      limitGiven,
      baseUrl: publicBaseUrl(deps.config, request),
    });
    return sendJson(reply, body);
  });

  // Upstream answers these with bare objects, without `success` (spec §2.7).
  app.delete(`${prefix}/:jobId`, async (request: IdRequest, reply) => {
    const caller = callerOf(request);
    checkJobId(request.params.jobId);
    const outcome = await deps.crawls.cancel(kind, request.params.jobId, caller.teamId);
    if (outcome === "not-found") return reply.code(404).send({ error: "Job not found" });
    if (outcome === "already-completed") {
      return reply.code(409).send({ error: "Crawl is already completed" });
    }
    return { status: "cancelled" };
  });

  app.get(`${prefix}/:jobId/errors`, async (request: IdRequest) => {
    const caller = callerOf(request);
    // Upstream checks the id here for crawls only; a batch's unknown id is simply not found.
    if (kind === "crawl") checkJobId(request.params.jobId);
    return deps.crawls.errors(kind, request.params.jobId, caller.teamId);
  });
}

function checkJobId(id: string): void {
  if (!isUuid(id)) throw new AppError("INVALID_JOB_ID");
}

function sendJson(reply: FastifyReply, body: string): FastifyReply {
  return reply.type("application/json; charset=utf-8").send(body);
}

/** A batch's scrape options are its top-level keys, less the batch's own. */
function scrapeOptionsOf(body: Record<string, unknown>): Record<string, unknown> {
  const options = { ...body };
  for (const key of BATCH_KEYS) delete options[key];
  return options;
}
