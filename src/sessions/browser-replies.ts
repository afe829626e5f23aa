import type { SessionRow } from "../store/store.ts";
import type { LiveSession } from "./live-session.ts";
import {
  urlsOf,
  type BrowserCreated,
  type BrowserExecuted,
  type BrowserList,
  type InteractReply,
} from "./session-replies.ts";

/** What the `/v2/browser` routes answer (spec §2.11), built from a live session or a stored row. */

/** `POST /v2/browser`: the new session's id, URLs and when its TTL ends. */
export function browserCreated(
  session: LiveSession,
  publicBaseUrl: string,
  ttlSeconds: number,
): BrowserCreated {
  return {
    success: true,
    id: session.row.id,
    ...urlsOf(session, publicBaseUrl),
    expiresAt: new Date(session.row.createdAt + ttlSeconds * 1000).toISOString(),
  };
}

/** `POST /v2/browser/{id}/execute`: an interact reply without its session id and URLs. */
export function browserExecuted(r: InteractReply): BrowserExecuted {
  const reply = {
    success: r.success,
    stdout: r.stdout,
    result: r.result,
    stderr: r.stderr,
    exitCode: r.exitCode,
    killed: r.killed,
  };
  return r.error === undefined ? reply : { ...reply, error: r.error };
}

/**
 * One entry of `GET /v2/browser`. A live session lists its URLs; an ended one lists empty
 * strings, as its tokens died with it (the Python SDK wants strings).
 */
export function browserListEntry(
  row: SessionRow,
  live: LiveSession | undefined,
  publicBaseUrl: string,
): BrowserList["sessions"][number] {
  const noUrls = { cdpUrl: "", liveViewUrl: "", interactiveLiveViewUrl: "" };
  return {
    id: row.id,
    status: row.status,
    ...(live ? urlsOf(live, publicBaseUrl) : noUrls),
    streamWebView: true,
    createdAt: new Date(row.createdAt).toISOString(),
    // A live session's own row is ahead of the store's, which is written on a timer.
    lastActivity: new Date((live?.row ?? row).lastActivityAt).toISOString(),
  };
}
