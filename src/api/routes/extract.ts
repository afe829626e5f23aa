import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler } from "fastify";
import { validate as isUuid } from "uuid";
import type { Config } from "../../config.ts";
import { AppError } from "../../errors.ts";
import { extractRequestSchema } from "../../extract/extract-request.ts";
import type { ExtractService } from "../../extract/extract-service.ts";
import { callerOf } from "../caller.ts";
import { publicBaseUrl } from "../request-context.ts";

export interface ExtractRouteDeps {
  config: Config;
  extracts: ExtractService;
}

const START_WARNING =
  "/v2/extract is deprecated. Use /v2/scrape with formats including a 'json' format object.";
const STATUS_WARNING =
  "/v2/extract/:jobId is deprecated. Use /v2/scrape with formats including a 'json' format object.";
const REPLACEMENT = "/v2/scrape";

/**
 * `POST /v2/extract` and `GET /v2/extract/{id}` (spec §6). Both are deprecated upstream, and say
 * so on every JSON reply, errors included.
 */
export function registerExtractRoutes(app: FastifyInstance, deps: ExtractRouteDeps): void {
  app.post("/v2/extract", { onSend: deprecation(START_WARNING) }, async (request) => {
    const caller = callerOf(request);
    const body = extractRequestSchema.parse(request.body);
    const raw = (request.body as Record<string, unknown>).scrapeOptions;
    const { id, invalidURLs } = await deps.extracts.start(body, {
      teamId: caller.teamId,
      publicBaseUrl: publicBaseUrl(deps.config, request),
      rawScrapeOptions: (raw as Record<string, unknown> | undefined) ?? {},
    });
    return { success: true, id, urlTrace: [], ...(invalidURLs && { invalidURLs }) };
  });

  app.get<{ Params: { jobId: string } }>(
    "/v2/extract/:jobId",
    { onSend: deprecation(STATUS_WARNING) },
    async (request) => {
      const caller = callerOf(request);
      if (!isUuid(request.params.jobId)) throw new AppError("INVALID_JOB_ID");
      return deps.extracts.status(request.params.jobId, caller.teamId);
    },
  );
}

/** The headers and body keys of upstream's deprecation middleware (`lib/deprecations.ts`). */
function deprecation(warning: string): onSendHookHandler {
  return (_request: FastifyRequest, reply: FastifyReply, payload, done) => {
    void reply.header("deprecation", "true");
    void reply.header("link", `<${REPLACEMENT}>; rel="successor-version"`);
    void reply.header("warning", `299 - "${warning}"`);
    done(null, withDeprecation(payload, warning));
  };
}

function withDeprecation(payload: unknown, warning: string): unknown {
  if (typeof payload !== "string") return payload;
  try {
    const body = JSON.parse(payload) as unknown;
    if (typeof body !== "object" || body === null || Array.isArray(body)) return payload;
    return JSON.stringify({ ...body, warnings: [warning], replacement: REPLACEMENT });
  } catch {
    return payload;
  }
}
