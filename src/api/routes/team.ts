import type { FastifyInstance } from "fastify";
import type { Credits } from "../../billing/credits.ts";
import { callerOf } from "../caller.ts";

/** `GET /v2/team/credit-usage`: the caller's team's credits, from its ledger. */
export function registerTeamRoutes(app: FastifyInstance, deps: { credits: Credits }): void {
  app.get("/v2/team/credit-usage", async (request) => {
    const caller = callerOf(request);
    return { success: true, data: await deps.credits.usage(caller.teamId) };
  });
}
