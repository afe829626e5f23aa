import { callerOf } from "../caller.ts";
import type { FastifyInstance } from "fastify";
import type { Config } from "../../config.ts";
import {
  browserCreateSchema,
  browserExecuteSchema,
  browserListSchema,
} from "../../sessions/browser-request.ts";
import type { SessionManager } from "../../sessions/session-manager.ts";
import { publicBaseUrl } from "../request-context.ts";
import { orForwarded } from "../forwarding.ts";
import type { SessionForwarder } from "../../cluster/session-forwarder.ts";

export interface BrowserRouteDeps {
  config: Config;
  sessions: SessionManager;
  forwarder?: SessionForwarder | undefined;
}

type SessionRoute = { Params: { sessionId: string } };

/** Standalone sessions (spec §2.11) under `/v2/browser` and its alias `/v2/interact`. */
export function registerBrowserRoutes(app: FastifyInstance, deps: BrowserRouteDeps): void {
  for (const base of ["/v2/browser", "/v2/interact"]) {
    app.post(base, async (request) => {
      const caller = callerOf(request);
      return deps.sessions.createBrowser(
        caller.teamId,
        browserCreateSchema.parse(request.body ?? {}),
        publicBaseUrl(deps.config, request),
      );
    });

    app.get(base, async (request) => {
      const caller = callerOf(request);
      const { status } = browserListSchema.parse(request.query);
      return deps.sessions.listBrowsers(caller.teamId, publicBaseUrl(deps.config, request), status);
    });

    app.post<SessionRoute>(`${base}/:sessionId/execute`, async (request) => {
      const caller = callerOf(request);
      const body = browserExecuteSchema.parse(request.body);
      return deps.sessions.executeBrowser(request.params.sessionId, caller.teamId, body);
    });

    app.delete<SessionRoute>(`${base}/:sessionId`, async (request, reply) => {
      const caller = callerOf(request);
      return orForwarded(request, reply, deps.forwarder, () =>
        deps.sessions.stopBrowser(request.params.sessionId, caller.teamId),
      );
    });
  }
}
