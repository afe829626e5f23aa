import type { Worker } from "node:worker_threads";
import type { LevelLogger } from "../log.ts";
import type { BundleLoad } from "./playwright-preload.ts";
import type {
  ConnectMessage,
  OutputStream,
  TaskMessage,
  WorkerMessage,
} from "./node-worker-messages.ts";
import type { ReplayRequest } from "./replay.ts";
import type { WorkerThread } from "./worker-thread.ts";

export interface RunReply {
  result: string;
  /** The error's stack (or why the worker could not run the code); absent on success. */
  failure?: string;
}

type OnOutput = (stream: OutputStream, text: string) => void;

interface Pending {
  id: number;
  onOutput: OnOutput;
  resolve: (reply: RunReply) => void;
}

/** The main thread's handle on one node-worker.ts thread: one run at a time, by id. */
export class WorkerClient {
  readonly #worker: Worker;
  readonly #logger: LevelLogger;
  readonly #ready: Promise<void>;
  #pending: Pending | undefined;
  #exitReason: string | undefined;

  readonly driverAddress: string;

  /**
   * Takes a started thread (it loads Playwright, the slow part of its start) and tells it the
   * browser's endpoint when `cdpEndpoint` settles; if that rejects, the thread is stopped.
   */
  constructor(thread: WorkerThread, cdpEndpoint: Promise<string>, logger: LevelLogger) {
    this.#logger = logger;
    this.driverAddress = thread.setup.driverAddress;
    this.#worker = thread.worker;
    const endpointFailed = Promise.withResolvers<never>();
    cdpEndpoint.then(
      (endpoint) =>
        this.#worker.postMessage({
          type: "connect",
          cdpEndpoint: endpoint,
        } satisfies ConnectMessage),
      (err: unknown) => {
        endpointFailed.reject(err);
        void this.#worker.terminate();
      },
    );
    const started = new Promise<void>((resolve, reject) => {
      this.#worker.on("message", (message: WorkerMessage) => {
        if (message.type === "ready") {
          this.#reportBundles(message.bundles);
          resolve();
        } else if (message.type === "fatal") reject(new Error(message.message));
        else this.#onRunMessage(message);
      });
      const onExit = (code: number) => {
        this.#onExit(code);
        reject(new Error(this.#exitReason));
      };
      // A thread started ahead (worker-thread.ts) may have ended before this listens.
      if (thread.exitCode === undefined) this.#worker.on("exit", onExit);
      else onExit(thread.exitCode);
    });
    this.#ready = Promise.race([started, endpointFailed.promise]);
    // Suppresses the unhandled rejection when no run ever waits on a failed start.
    this.#ready.catch(() => {});
    if (thread.error) this.#logger.warn({ err: thread.error }, "node runtime worker error");
    this.#worker.on("error", (err) => this.#logger.warn({ err }, "node runtime worker error"));
  }

  /** A cache the server made and V8 refused is a fault to see: every start is slower for it. */
  #reportBundles(bundles: BundleLoad): void {
    if (bundles === "cached") return;
    if (bundles === "uncached") {
      this.#logger.debug("node runtime loaded Playwright without a code cache");
      return;
    }
    this.#logger.warn(
      { rejected: bundles.rejected },
      "V8 refused the cached code of Playwright's bundles; this host compiled them from source",
    );
  }

  /** Settles when the thread is connected to the browser; rejects when it could not. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** False once the thread has exited: the owner must start a new one. */
  get alive(): boolean {
    return this.#exitReason === undefined;
  }

  run(id: number, body: string, onOutput: OnOutput): Promise<RunReply> {
    return this.#task({ type: "run", id, body }, onOutput);
  }

  /** The reply's `result` is the browser's storage state as JSON. */
  state(id: number): Promise<RunReply> {
    return this.#task({ type: "state", id }, () => {});
  }

  /** The reply's `result` is the ReplayResult as JSON; `failure` says why the replay failed. */
  replay(id: number, request: ReplayRequest): Promise<RunReply> {
    return this.#task({ type: "replay", id, request }, () => {});
  }

  async #task(task: TaskMessage, onOutput: OnOutput): Promise<RunReply> {
    const id = task.id;
    try {
      await this.#ready;
    } catch (err) {
      return { result: "", failure: (err as Error).message };
    }
    if (!this.alive) return { result: "", failure: this.#exitReason ?? "worker exited" };
    return new Promise((resolve) => {
      this.#pending = { id, onOutput, resolve };
      this.#worker.postMessage(task);
    });
  }

  /** Stops the thread at once, even inside `while (true) {}`. */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  #onRunMessage(message: Exclude<WorkerMessage, { type: "ready" | "fatal" }>): void {
    const pending = this.#pending;
    if (!pending || pending.id !== message.id) return;
    if (message.type === "output") return pending.onOutput(message.stream, message.text);
    this.#pending = undefined;
    pending.resolve(
      message.failure === undefined
        ? { result: message.result }
        : { result: message.result, failure: message.failure },
    );
  }

  #onExit(code: number): void {
    this.#exitReason = `the node runtime's worker exited (code ${code})`;
    this.#logger.debug({ code }, "node runtime worker exited");
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.resolve({ result: "", failure: this.#exitReason });
  }
}
