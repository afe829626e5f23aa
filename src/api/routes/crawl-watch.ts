import type { IncomingMessage } from "node:http";
import { validate as isUuid } from "uuid";
import { WebSocketServer, type WebSocket } from "ws";
import type { Authenticator } from "../../auth/authenticator.ts";
import type { CrawlService } from "../../crawl/crawl-service.ts";
import { AppError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { JobGroupKind } from "../../store/job-queue.ts";
import type { UpgradeHandler } from "../upgrades.ts";

const WATCH_PATH = /^\/v2\/(crawl|batch\/scrape)\/([^/]+)$/;
const POLL_MS = 1_000;

/**
 * `WS /v2/crawl/{id}` and `WS /v2/batch/scrape/{id}` (spec §2.11): a `catchup` with every stored
 * document, then each new `document` as it is stored, then close 1000 `{"type":"done"}` once
 * the job has ended. Upstream has no batch route, though both SDKs connect to it; Skiff serves both.
 */
export function crawlWatchUpgrade(
  crawls: CrawlService,
  auth: Authenticator,
  logger: Logger,
): UpgradeHandler {
  // The JS SDK sends the API key as the only subprotocol; it must be echoed back.
  const server = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => [...protocols][0] ?? false,
  });
  return (request, socket, head) => {
    const match = WATCH_PATH.exec(new URL(request.url ?? "/", "http://skiff").pathname);
    if (!match) return false;
    const kind: JobGroupKind = match[1] === "crawl" ? "crawl" : "batch";
    const id = match[2] ?? "";
    server.handleUpgrade(request, socket, head, (ws) => {
      void watch(ws, { crawls, auth, logger }, request, kind, id);
    });
    return true;
  };
}

interface WatchDeps {
  crawls: CrawlService;
  auth: Authenticator;
  logger: Logger;
}

async function watch(
  ws: WebSocket,
  deps: WatchDeps,
  request: IncomingMessage,
  kind: JobGroupKind,
  id: string,
): Promise<void> {
  if (!isUuid(id)) return ws.close(1008, "Invalid job ID");
  let teamId: string;
  try {
    teamId = (await deps.auth.authenticate(authorizationOf(request))).teamId;
  } catch (err) {
    return ws.close(3000, reason({ type: "error", error: (err as Error).message }));
  }
  let sent = 0;
  let closed = false;
  ws.once("close", () => (closed = true));
  for (let first = true; !closed; first = false) {
    let state: Awaited<ReturnType<CrawlService["watch"]>>;
    try {
      state = await deps.crawls.watch(kind, id, teamId, sent);
    } catch (err) {
      return closeOnError(ws, err, id, deps.logger);
    }
    if (first) ws.send(JSON.stringify({ type: "catchup", data: catchup(state) }));
    else for (const doc of state.documents) ws.send(`{"type":"document","data":${doc}}`);
    sent += state.documents.length;
    if (state.status !== "scraping") return ws.close(1000, reason({ type: "done" }));
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function catchup(state: Awaited<ReturnType<CrawlService["watch"]>>): unknown {
  const { status, completed, total, creditsUsed, expiresAt } = state;
  const data = state.documents.map((doc) => JSON.parse(doc) as unknown);
  if (status === "failed" && total === 0) {
    return {
      success: false,
      error: state.error,
      status,
      total,
      completed,
      creditsUsed,
      expiresAt,
      data,
    };
  }
  return { success: true, status, total, completed, creditsUsed, expiresAt, data };
}

/** The Authorization header, else the offered subprotocol as its bearer token (spec §2.11). */
function authorizationOf(request: IncomingMessage): string | undefined {
  if (request.headers.authorization) return request.headers.authorization;
  const protocol = request.headers["sec-websocket-protocol"]?.split(",")[0]?.trim();
  return protocol ? `Bearer ${protocol}` : undefined;
}

function closeOnError(ws: WebSocket, err: unknown, id: string, logger: Logger): void {
  if (err instanceof AppError && err.kind === "CRAWL_NOT_FOUND") {
    return ws.close(1008, reason({ type: "error", error: "Job not found" }));
  }
  if (err instanceof AppError && err.kind === "CRAWL_FORBIDDEN") {
    return ws.close(3003, reason({ type: "error", error: "Forbidden" }));
  }
  logger.error({ err, jobId: id }, "crawl watcher failed");
  ws.close(1011, reason({ type: "error", error: `Internal error (job ${id.slice(0, 36)})` }));
}

/** A close reason is at most 123 bytes. */
function reason(value: object): string {
  return JSON.stringify(value).slice(0, 123);
}
