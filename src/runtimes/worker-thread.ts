// Starting a node runtime's worker thread. A session host starts its first one before it loads
// anything else (session-host-main.ts), since the thread's load of Playwright is the longest part
// of a session's start; NodeRuntime starts the ones after it.
import { randomUUID } from "node:crypto";
import { Worker } from "node:worker_threads";
import type { WorkerSetup } from "./node-worker-messages.ts";
import { OUTPUT_CAP_BYTES } from "./output-buffer.ts";

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

/** A started node-worker.ts thread, with what befell it before a WorkerClient took it. */
export interface WorkerThread {
  setup: WorkerSetup;
  worker: Worker;
  /** Set once the thread has exited. */
  exitCode?: number;
  /** Its first error, kept until a WorkerClient takes the thread and logs it. */
  error?: Error;
}

/**
 * What a new thread starts with. `pickPage` runs in the worker: it is sent as source text, so it
 * must be self-contained.
 */
export function workerSetup(options: {
  pickPage?: ((...args: never[]) => unknown) | undefined;
  connectTimeoutMs?: number | undefined;
}): WorkerSetup {
  return {
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    outputCapBytes: OUTPUT_CAP_BYTES,
    // Abstract (no file): a sandbox's own network namespace keeps it private to the session.
    driverAddress: `\0skiff-playwright-${randomUUID()}`,
    ...(options.pickPage ? { pickPageSource: options.pickPage.toString() } : {}),
  };
}

/**
 * Starts the thread now; it loads Playwright and waits for the browser's endpoint. Its exit and
 * first error are recorded for the WorkerClient that takes it, so an error before then does not
 * go unhandled.
 */
export function startWorkerThread(setup: WorkerSetup): WorkerThread {
  const worker = new Worker(new URL("./node-worker.ts", import.meta.url), { workerData: setup });
  const thread: WorkerThread = { setup, worker };
  worker.on("error", (err) => {
    thread.error ??= err;
  });
  worker.once("exit", (code) => {
    thread.exitCode = code;
  });
  return thread;
}
