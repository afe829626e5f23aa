import type { Browser, Page } from "playwright-core";
import type { LevelLogger } from "../log.ts";
import { OutputBuffer, capText } from "./output-buffer.ts";
import { REPLAY_FAILED_PREFIX, type ReplayRequest, type ReplayResult } from "./replay.ts";
import { WorkerClient, type RunReply } from "./worker-client.ts";
import { startWorkerThread, workerSetup, type WorkerThread } from "./worker-thread.ts";
import { sweepBeforeConnecting } from "./tab-sweep.ts";
import { withTimeout } from "./with-timeout.ts";

/** The fields of an interact reply (spec §2.3); success is `exitCode === 0 && !killed`. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  result: string;
  exitCode: number;
  killed: boolean;
  /** stderr, or a short reason when stderr is empty; present only when the call failed. */
  error?: string;
}

/**
 * Chooses the session's content tab. It runs in the worker thread, so it must be
 * self-contained (it is sent there as source text): no closures over outside variables.
 */
export type PickPage = (browser: Browser) => Page | Promise<Page>;

export interface NodeRuntimeOptions {
  /**
   * `ws://…/devtools/browser/…` of the session's Chromium; a promise when the browser is still
   * starting (the worker loads Playwright meanwhile).
   */
  cdpEndpoint: string | Promise<string>;
  /** Default: the first page of the first context (a new one if that context has none). */
  pickPage?: PickPage;
  logger: LevelLogger;
  connectTimeoutMs?: number;
  /**
   * The first worker, started ahead by the caller (session-host-main.ts) with its own setup; the
   * ones after a timeout start here, with `pickPage` and `connectTimeoutMs`.
   */
  firstThread?: WorkerThread;
}

/** A killed run exits like a SIGKILLed process does (128 + 9). */
export const KILLED_EXIT_CODE = 137;

/** The replay bounds itself by its own deadline; past that and this, its worker is stuck. */
const REPLAY_SLACK_MS = 5_000;

/**
 * Runs `language: "node"` interact code against a session's browser, one call at a time. The
 * code runs in a worker thread holding a persistent CDP connection; a timeout terminates the
 * thread (the browser and its pages live on) and the next call starts a fresh one.
 */
export class NodeRuntime {
  readonly #options: NodeRuntimeOptions;
  readonly #logger: LevelLogger;
  #worker: WorkerClient | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #closed = false;
  #firstThread: WorkerThread | undefined;
  #workersStarted = 0;

  constructor(options: NodeRuntimeOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#firstThread = options.firstThread;
  }

  /**
   * Queues user code behind the calls already submitted; `timeoutMs` counts from its own start.
   * It loads the parser that prepares the code (last-expression.ts) on first use: a session host
   * is sent prepared code instead (`runBody`), and never loads it.
   */
  run(code: string, options: { timeoutMs: number }): Promise<ExecResult> {
    return this.#enqueue(async () => {
      const { prepareNodeCode } = await import("./last-expression.ts");
      const prepared = prepareNodeCode(code);
      if ("syntaxError" in prepared) return syntaxErrorResult(prepared.syntaxError);
      return this.#runBody(prepared.body, options.timeoutMs);
    });
  }

  /** Queues a function body that `prepareNodeCode` made, as `run` does with code. */
  runBody(body: string, options: { timeoutMs: number }): Promise<ExecResult> {
    return this.#enqueue(() => this.#runBody(body, options.timeoutMs));
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("the node runtime is closed"));
    const job = this.#queue.then(work);
    this.#queue = job.catch(() => {});
    return job;
  }

  /**
   * Reproduces a scrape in the worker (spec §2.4), queued like a call. Rejects with an Error whose
   * message starts "Replay failed:".
   */
  replay(request: ReplayRequest): Promise<ReplayResult> {
    return this.#enqueue(() => this.#replay(request));
  }

  /**
   * Where the worker serves Playwright's driver (for Playwright for Python), once it is connected.
   * A new worker (after a timeout) serves at a new address.
   */
  async driverAddress(): Promise<string> {
    const worker = this.#ensureWorker();
    await worker.ready;
    return worker.driverAddress;
  }

  /** The session's cookies, localStorage and IndexedDB, queued behind the calls before. */
  storageState(): Promise<unknown> {
    return this.#enqueue(async () => {
      const reply = await this.#ensureWorker().state(this.#nextId++);
      if (reply.failure !== undefined) throw new Error(reply.failure);
      return JSON.parse(reply.result) as unknown;
    });
  }

  /** Starts the worker and its connection ahead of the first call; settles once connected. */
  warm(): Promise<void> {
    return this.#ensureWorker().ready;
  }

  /** Starts the worker now, without waiting for it: it loads Playwright while the caller goes on. */
  start(): void {
    this.#ensureWorker();
  }

  /** Stops the worker (a run in progress comes back as failed); the browser is untouched. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
    await this.#firstThread?.worker.terminate();
    this.#firstThread = undefined;
  }

  async #runBody(body: string, timeoutMs: number): Promise<ExecResult> {
    const out = { stdout: new OutputBuffer(), stderr: new OutputBuffer() };
    const worker = this.#ensureWorker();
    const id = this.#nextId++;
    const started = performance.now();
    const reply = await withTimeout(
      worker.run(id, body, (stream, text) => out[stream].append(text)),
      timeoutMs,
    );
    if (reply === "timeout") {
      await this.#kill(worker, timeoutMs);
      return killedResult(out, timeoutMs);
    }
    this.#logger.debug({ id, ms: performance.now() - started }, "node runtime call");
    if (!worker.alive) this.#discard(worker);
    return fromReply(out, reply);
  }

  async #replay(request: ReplayRequest): Promise<ReplayResult> {
    const worker = this.#ensureWorker();
    const limitMs = request.timeoutMs + REPLAY_SLACK_MS;
    const reply = await withTimeout(worker.replay(this.#nextId++, request), limitMs);
    if (reply === "timeout") {
      await this.#kill(worker, limitMs);
      throw new Error(`${REPLAY_FAILED_PREFIX} it did not finish within ${limitMs} ms`);
    }
    if (!worker.alive) this.#discard(worker);
    if (reply.failure !== undefined) {
      const message = reply.failure.startsWith(REPLAY_FAILED_PREFIX)
        ? reply.failure
        : `${REPLAY_FAILED_PREFIX} ${reply.failure}`;
      throw new Error(message);
    }
    return JSON.parse(reply.result) as ReplayResult;
  }

  #ensureWorker(): WorkerClient {
    if (this.#worker?.alive) return this.#worker;
    const { cdpEndpoint, pickPage, connectTimeoutMs } = this.#options;
    const thread =
      this.#firstThread ?? startWorkerThread(workerSetup({ pickPage, connectTimeoutMs }));
    this.#firstThread = undefined;
    const endpoint = Promise.resolve(cdpEndpoint);
    // A worker after the first connects to a browser that user code has had (tab-sweep.ts).
    const ready =
      this.#workersStarted++ === 0
        ? endpoint
        : endpoint.then(async (e) => {
            await sweepBeforeConnecting(e, this.#logger);
            return e;
          });
    this.#worker = new WorkerClient(thread, ready, this.#logger);
    return this.#worker;
  }

  async #kill(worker: WorkerClient, timeoutMs: number): Promise<void> {
    this.#logger.info({ timeoutMs }, "node runtime call timed out; terminating its worker");
    this.#discard(worker);
    await worker.terminate();
    // The replacement connects while the caller reads this reply, not during its next call.
    if (!this.#closed) this.#ensureWorker();
  }

  #discard(worker: WorkerClient): void {
    if (this.#worker === worker) this.#worker = undefined;
  }
}

interface Streams {
  stdout: OutputBuffer;
  stderr: OutputBuffer;
}

function fromReply(out: Streams, reply: RunReply): ExecResult {
  const stdout = out.stdout.toString();
  if (reply.failure === undefined) {
    return {
      stdout,
      stderr: out.stderr.toString(),
      result: capText(reply.result),
      exitCode: 0,
      killed: false,
    };
  }
  out.stderr.append(joinLine(out.stderr.toString(), reply.failure));
  return failed({ stdout, stderr: out.stderr.toString(), result: "" }, "Execution failed");
}

/** What a call whose code does not parse answers: the error, caret and all, on stderr. */
export function syntaxErrorResult(message: string): ExecResult {
  return failed({ stdout: "", stderr: message, result: "" }, "Execution failed");
}

function killedResult(out: Streams, timeoutMs: number): ExecResult {
  const reason = `Execution timed out after ${timeoutMs} ms and was killed`;
  return {
    ...failed({ stdout: out.stdout.toString(), stderr: out.stderr.toString(), result: "" }, reason),
    exitCode: KILLED_EXIT_CODE,
    killed: true,
  };
}

/** Separates a failure from earlier stderr output the way a terminal would show it. */
function joinLine(before: string, text: string): string {
  return before === "" || before.endsWith("\n") ? text : `\n${text}`;
}

function failed(
  streams: { stdout: string; stderr: string; result: string },
  fallback: string,
): ExecResult {
  return { ...streams, exitCode: 1, killed: false, error: streams.stderr || fallback };
}
