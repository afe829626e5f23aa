import { readFileSync } from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { WebSocketServer } from "ws";
import type { SessionManager } from "../../sessions/session-manager.ts";
import { refuseUpgrade, type UpgradeHandler } from "../upgrades.ts";

const VIEWER_PAGE = readFileSync(path.join(import.meta.dirname, "live-viewer.html"), "utf8");
const SOCKET_PATH = /^\/v2\/live\/([0-9a-f-]{36}\/[A-Za-z0-9_-]{20,100})\/ws$/;

/** `liveViewUrl` and `interactiveLiveViewUrl`: the viewer page; which one the token decides. */
export function registerLiveRoutes(app: FastifyInstance, sessions: SessionManager): void {
  type LiveRoute = { Params: { sessionId: string; token: string } };
  app.get<LiveRoute>("/v2/live/:sessionId/:token", (request, reply) => {
    const access = sessions.viewerAccess(`${request.params.sessionId}/${request.params.token}`);
    if (!access) {
      return reply
        .code(404)
        .type("text/plain; charset=utf-8")
        .send("This live view has ended or never existed.\n");
    }
    const mode = access.interactive ? "interactive" : "read-only";
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .header("referrer-policy", "no-referrer")
      .send(VIEWER_PAGE.replace("{{MODE}}", mode));
  });
}

/** The viewer's WebSocket: frames out, acknowledgements (and, interactive only, input) in. */
export function liveUpgrade(sessions: SessionManager): UpgradeHandler {
  const server = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  return (request, socket, head) => {
    const token = SOCKET_PATH.exec(new URL(request.url ?? "/", "http://skiff").pathname)?.[1];
    if (!token) return false;
    if (!sessions.viewerAccess(token)) {
      refuseUpgrade(socket, 404, "Not Found");
      return true;
    }
    server.handleUpgrade(request, socket, head, (ws) => {
      try {
        sessions.attachViewer(token, ws);
      } catch {
        ws.close(1008, "no such session");
      }
    });
    return true;
  };
}
