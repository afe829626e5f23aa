/**
 * The requests a session host answers over its channel (see session-host.ts), with their payload
 * and result types; the server and the host both import them, so the two sides cannot drift.
 */
import type { ExecResult } from "../runtimes/node-runtime.ts";
import type { ReplayRequest, ReplayResult } from "../runtimes/replay.ts";

export type { ExecResult };

/** `open`: starts the session's own Chromium and warms the node runtime on it. */
export type OpenRequest = Record<string, never>;

export interface OpenResult {
  /** `ws://127.0.0.1:<port>/devtools/browser/<id>`, valid inside the sandbox only. */
  cdpEndpoint: string;
  /** How long the browser took to launch, then the runtime (worker, Playwright, CDP) to warm. */
  chromiumMs: number;
  runtimeMs: number;
}

/** `replay`: reproduces a scrape (spec §2.4), in the node runtime's worker. */
export type { ReplayRequest, ReplayResult };

/**
 * `exec`: one interact call's code; an unsupported language is answered with an error. Node code
 * comes prepared: the function body `prepareNodeCode` made of it (last-expression.ts), so that
 * hosts do not load a parser; the server answers a syntax error itself.
 */
export interface ExecRequest {
  language: string;
  code: string;
  timeoutMs: number;
}

/** `browser-command`: one agent-browser command (prompt mode's tool), run with no shell. */
export interface BrowserCommandRequest {
  args: string[];
  timeoutMs: number;
}

/** `shutdown`: closes the runtime and the browser; the host exits right after answering. */
export type ShutdownRequest = Record<string, never>;

export type ShutdownResult = Record<string, never>;

/** `storage`: the browser's state (Playwright's storage state, IndexedDB included), to save. */
export type StorageRequest = Record<string, never>;

/** `cdp-connect`: relay one connection from `socket` (the server's, in run/) to Chromium's CDP port. */
export interface CdpConnectRequest {
  socket: string;
}

/** Request type → its payload and result, for typed wrappers on the server side. */
export interface SessionHostRequests {
  open: { payload: OpenRequest; result: OpenResult };
  replay: { payload: ReplayRequest; result: ReplayResult };
  exec: { payload: ExecRequest; result: ExecResult };
  "browser-command": { payload: BrowserCommandRequest; result: ExecResult };
  shutdown: { payload: ShutdownRequest; result: ShutdownResult };
  storage: { payload: StorageRequest; result: unknown };
  "cdp-connect": { payload: CdpConnectRequest; result: Record<string, never> };
}
