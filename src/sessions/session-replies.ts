import type { ExecResult } from "../sandbox/session-host-protocol.ts";
import type { SessionEndReason, SessionStatus } from "../store/store.ts";
import type { LiveSession } from "./live-session.ts";

/** What session calls answer on the wire, and the small pure functions that build it. */

/** The reply to an interact call (spec §2.3 step 12); live-view fields wait for their issue. */
export interface InteractReply {
  success: boolean;
  sessionId: string;
  cdpUrl: string | null;
  liveViewUrl: string | null;
  interactiveLiveViewUrl: string | null;
  stdout: string;
  result: string;
  stderr: string;
  exitCode: number;
  killed: boolean;
  error?: string;
  /** The agent's final answer (prompt calls only, when it gave one). */
  output?: string;
}

/** The reply to DELETE (spec §2.7); no `creditsBilled` when the session had ended already. */
export interface StopReply {
  success: true;
  sessionDurationMs: number;
  creditsBilled?: number;
  cleanupQueued: true;
}

/** The reply to `POST /v2/browser` (spec §2.11). */
export interface BrowserCreated {
  success: true;
  id: string;
  cdpUrl: string;
  liveViewUrl: string;
  interactiveLiveViewUrl: string;
  expiresAt: string;
}

/** The reply to `POST /v2/browser/{id}/execute` (spec §2.11): interact's, without the URLs. */
export type BrowserExecuted = Omit<
  InteractReply,
  "sessionId" | "cdpUrl" | "liveViewUrl" | "interactiveLiveViewUrl"
>;

/** The reply to `GET /v2/browser` (spec §2.11). */
export interface BrowserList {
  success: true;
  sessions: {
    id: string;
    status: SessionStatus;
    cdpUrl: string;
    liveViewUrl: string;
    interactiveLiveViewUrl: string;
    streamWebView: boolean;
    createdAt: string;
    lastActivity: string;
  }[];
}

/** Why a call that was running when its session ended did not finish, as its reply says. */
export const ENDED_DURING_CALL: Record<SessionEndReason, string> = {
  deleted: "The browser session was stopped (DELETE) while this call ran.",
  ttl: "The browser session reached its time limit while this call ran.",
  idle: "The browser session timed out while this call ran.",
  crashed: "The browser session's host exited while this call ran; the session is destroyed.",
  shutdown: "The server shut down while this call ran; the session is destroyed.",
  "server-restart": "The server restarted while this call ran; the session is destroyed.",
  "node-lost":
    "The node running this session lost its place in the cluster while this call ran; the session is destroyed.",
};

/** A call that did not run to its end; `killed` when Skiff stopped it on purpose. */
export function failedCall(message: string, killed = false): ExecResult {
  return {
    stdout: "",
    stderr: message,
    result: "",
    exitCode: killed ? 137 : 1,
    killed,
    error: message,
  };
}

export type TokenKind = "cdp" | "view" | "control";

/**
 * `<session id>/<token>`: what the session's URLs end with. The pair must match, so one
 * session's token opens nothing of another's.
 */
export function accessKey(session: LiveSession, kind: TokenKind): string {
  return `${session.row.id}/${session.tokens[kind]}`;
}

/** The session's three URLs on Skiff itself; each token is its own credential. */
export function urlsOf(session: LiveSession, publicBaseUrl: string) {
  return {
    cdpUrl: `${publicBaseUrl.replace(/^http/, "ws")}/v2/cdp/${accessKey(session, "cdp")}`,
    liveViewUrl: `${publicBaseUrl}/v2/live/${accessKey(session, "view")}`,
    interactiveLiveViewUrl: `${publicBaseUrl}/v2/live/${accessKey(session, "control")}`,
  };
}

export function interactReply(sessionId: string, r: ExecResult): InteractReply {
  const success = r.exitCode === 0 && !r.killed;
  return {
    success,
    sessionId,
    cdpUrl: null,
    liveViewUrl: null,
    interactiveLiveViewUrl: null,
    stdout: r.stdout,
    result: r.result,
    stderr: r.stderr,
    exitCode: r.exitCode,
    killed: r.killed,
    ...(success ? {} : { error: r.error ?? (r.stderr || "Execution failed") }),
  };
}
