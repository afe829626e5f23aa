import type { LevelLogger } from "../log.ts";
import { KILLED_EXIT_CODE, type ExecResult, type NodeRuntime } from "./node-runtime.ts";
import { OutputBuffer, capText } from "./output-buffer.ts";
import { processResult } from "./process-group.ts";
import { PythonInterpreter } from "./python-interpreter.ts";
import { sweepBeforeConnecting } from "./tab-sweep.ts";
import { withTimeout } from "./with-timeout.ts";

export interface PythonRuntimeOptions {
  /** The virtual environment's Python, or why Playwright for Python cannot run here. */
  python: { path: string } | { problem: string };
  /** The session's node runtime, whose worker serves Playwright's driver. */
  node: NodeRuntime;
  cdpEndpoint: string;
  /** The session's /tmp: Python's working folder and HOME. */
  tmpDir: string;
  logger: LevelLogger;
}

/** Importing Playwright and connecting to the browser; a loaded machine can take seconds. */
const START_TIMEOUT_MS = 30_000;

/**
 * Runs `language: "python"` code with Playwright for Python's async API, in an interpreter kept
 * warm for the session: the first call pays its start, later calls do not. A call past its
 * timeout kills the interpreter (the page lives on) and a fresh one starts at once, which the
 * next call waits for. A call's timeout counts its wait for the interpreter, as a node call's
 * counts its worker's connection, so that the host answers within the time the server gives it.
 */
export class PythonRuntime {
  readonly #options: PythonRuntimeOptions;
  #interpreter: PythonInterpreter | undefined;
  /** The start under way, shared by whoever needs the interpreter meanwhile. */
  #starting: Promise<PythonInterpreter> | undefined;
  #starts = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #closed = false;

  constructor(options: PythonRuntimeOptions) {
    this.#options = options;
  }

  run(code: string, options: { timeoutMs: number }): Promise<ExecResult> {
    const job = this.#queue.then(() => this.#run(code, options.timeoutMs));
    this.#queue = job.catch(() => {});
    return job;
  }

  close(): void {
    this.#closed = true;
    this.#interpreter?.kill();
    this.#interpreter = undefined;
  }

  async #run(code: string, timeoutMs: number): Promise<ExecResult> {
    const { python } = this.#options;
    if ("problem" in python) return unavailable(python.problem);
    const output = { stdout: new OutputBuffer(), stderr: new OutputBuffer() };
    let running: PythonInterpreter | undefined;
    let answered = false;
    const call = this.#started(python.path).then(
      (interpreter) => {
        // A start that outlived the call must not run its code after the call has answered.
        if (answered) return { exited: "the call had already answered" };
        running = interpreter;
        return interpreter.run(this.#nextId++, code, (stream, text) => output[stream].append(text));
      },
      (err: unknown) => ({ startFailed: (err as Error).message }),
    );
    const reply = await withTimeout(call, timeoutMs);
    answered = true;
    if (reply === "timeout" && !running) {
      return unavailable(`Playwright for Python did not start within the call's ${timeoutMs} ms`);
    }
    if (reply === "timeout") this.#replace(running!, python.path);
    const streams = { stdout: output.stdout.toString(), stderr: output.stderr.toString() };
    if (reply === "timeout") return processResult({ ...streams, result: "" }, KILLED, timeoutMs);
    if ("startFailed" in reply) {
      return unavailable(`Playwright for Python did not start: ${reply.startFailed}`);
    }
    if ("exited" in reply) {
      const stderr = streams.stderr + reply.exited;
      return processResult({ ...streams, stderr, result: "" }, FAILED, timeoutMs);
    }
    const exit = reply.failed ? FAILED : SUCCEEDED;
    return processResult({ ...streams, result: capText(reply.result) }, exit, timeoutMs);
  }

  /** The interpreter, or the start under way; a failed start is tried again by the next call. */
  #started(python: string): Promise<PythonInterpreter> {
    if (!this.#starting) {
      const starting = this.#start(python);
      this.#starting = starting;
      const done = () => {
        if (this.#starting === starting) this.#starting = undefined;
      };
      starting.then(done, done);
    }
    return this.#starting;
  }

  /** Starts an interpreter if there is none or if the one there talks to a worker now gone. */
  async #start(python: string): Promise<PythonInterpreter> {
    const driverAddress = await this.#options.node.driverAddress();
    const current = this.#interpreter;
    if (current?.alive && current.driverAddress === driverAddress) return current;
    current?.kill();
    const { cdpEndpoint, tmpDir, logger } = this.#options;
    // One after the first connects to a browser that user code has had (tab-sweep.ts).
    if (this.#starts++ > 0) await sweepBeforeConnecting(cdpEndpoint, logger);
    if (this.#closed) throw new Error("the session is closing");
    const started = performance.now();
    const interpreter = new PythonInterpreter({
      python,
      driverAddress,
      cdpEndpoint,
      tmpDir,
      logger,
    });
    this.#interpreter = interpreter;
    const ready = await withTimeout(interpreter.ready, START_TIMEOUT_MS);
    if (ready === "timeout") {
      interpreter.kill();
      throw new Error(`it did not connect within ${START_TIMEOUT_MS} ms`);
    }
    logger.info({ ms: Math.round(performance.now() - started) }, "python interpreter ready");
    return interpreter;
  }

  /** Kills a runaway interpreter; its successor starts now, while the caller reads the reply. */
  #replace(interpreter: PythonInterpreter, python: string): void {
    interpreter.kill();
    if (this.#interpreter === interpreter) this.#interpreter = undefined;
    if (!this.#closed) this.#started(python).catch(() => {});
  }
}

const SUCCEEDED = { code: 0, killed: false };
const FAILED = { code: 1, killed: false };
const KILLED = { code: KILLED_EXIT_CODE, killed: true };

function unavailable(message: string): ExecResult {
  return { stdout: "", stderr: message, result: "", exitCode: 1, killed: false, error: message };
}
