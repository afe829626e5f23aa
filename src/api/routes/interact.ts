import type { FastifyInstance } from "fastify";
import { validate as isUuid } from "uuid";
import type { Config } from "../../config.ts";
import { AppError } from "../../errors.ts";
import { callerOf } from "../caller.ts";
import { interactRequestSchema } from "../../sessions/interact-request.ts";
import type { SessionManager } from "../../sessions/session-manager.ts";
import { publicBaseUrl } from "../request-context.ts";
import { orForwarded } from "../forwarding.ts";
import type { SessionForwarder } from "../../cluster/session-forwarder.ts";

export interface InteractRouteDeps {
  config: Config;
  sessions: SessionManager;
  forwarder?: SessionForwarder | undefined;
}

type JobRoute = { Params: { jobId: string } };

/** `POST|DELETE /v2/scrape/:jobId/interact` (spec §2): auth, the job id, the body, the manager. */
export function registerInteractRoutes(app: FastifyInstance, deps: InteractRouteDeps): void {
  app.post<JobRoute>("/v2/scrape/:jobId/interact", async (request, reply) => {
    const caller = callerOf(request);
    if (!isUuid(request.params.jobId)) throw new AppError("INVALID_JOB_ID");
    const body = interactRequestSchema.parse(request.body);
    const base = publicBaseUrl(deps.config, request);
    return orForwarded(request, reply, deps.forwarder, () =>
      deps.sessions.interact(request.params.jobId, caller.teamId, body, base),
    );
  });

  app.delete<JobRoute>("/v2/scrape/:jobId/interact", async (request, reply) => {
    const caller = callerOf(request);
    if (!isUuid(request.params.jobId)) throw new AppError("INVALID_JOB_ID");
    return orForwarded(request, reply, deps.forwarder, () =>
      deps.sessions.stop(request.params.jobId, caller.teamId),
    );
  });
}
