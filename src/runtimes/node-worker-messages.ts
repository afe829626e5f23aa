// The typed messages between NodeRuntime (main thread) and node-worker.ts (its worker thread).
import type { BundleLoad } from "./playwright-preload.ts";
import type { ReplayRequest } from "./replay.ts";

/**
 * The name user code's `import(…)` calls are rewritten to (last-expression.ts); the worker passes
 * it in. It lives here, not beside the rewrite, so that the worker does not load acorn.
 */
export const IMPORT_BINDING = "__skiffImport";

export type OutputStream = "stdout" | "stderr";

/** What a worker starts with; the browser's endpoint comes later, in a ConnectMessage. */
export interface WorkerSetup {
  /** Source of a self-contained `(browser) => Page` function, evaluated in the worker. */
  pickPageSource?: string;
  connectTimeoutMs: number;
  /** Where the worker serves Playwright's driver to Playwright for Python (playwright-driver.ts). */
  driverAddress: string;
  /** Per stream and run; the worker stops sending once a stream is past it. */
  outputCapBytes: number;
}

/**
 * Main thread → worker, first and once: connect to the browser. It comes as a message so that a
 * worker can load Playwright while the browser is still starting.
 */
export interface ConnectMessage {
  type: "connect";
  /** `ws://…/devtools/browser/…`. */
  cdpEndpoint: string;
}

/** Main thread → worker: run one prepared function body. */
export interface RunMessage {
  type: "run";
  id: number;
  body: string;
}

/** Main thread → worker: reproduce a scrape; answered by `done` with the ReplayResult as JSON. */
export interface ReplayMessage {
  type: "replay";
  id: number;
  request: ReplayRequest;
}

/** Main thread → worker: the browser's storage state; answered by `done` with it as JSON. */
export interface StateMessage {
  type: "state";
  id: number;
}

export type TaskMessage = RunMessage | ReplayMessage | StateMessage;

export type WorkerMessage =
  | { type: "ready"; bundles: BundleLoad }
  | { type: "fatal"; message: string }
  | { type: "output"; id: number; stream: OutputStream; text: string }
  | { type: "done"; id: number; result: string; failure?: string };
