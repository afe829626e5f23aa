import type { LevelLogger } from "../log.ts";
import { KILLED_EXIT_CODE, type ExecResult, type NodeRuntime } from "./node-runtime.ts";
import { OutputBuffer, capText } from "./output-buffer.ts";
import { processResult } from "./process-group.ts";
import { PythonInterpreter } from "./python-interpreter.ts";
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
 * timeout kills the interpreter (the page lives on) and a fresh one starts for the next call.
 */
export class PythonRuntime {
  readonly #options: PythonRuntimeOptions;
  #interpreter: PythonInterpreter | undefined;
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
    let interpreter: PythonInterpreter;
    try {
      interpreter = await this.#started(python.path);
    } catch (err) {
      return unavailable(`Playwright for Python did not start: ${(err as Error).message}`);
    }
    const output = { stdout: new OutputBuffer(), stderr: new OutputBuffer() };
    const call = interpreter.run(this.#nextId++, code, (stream, text) =>
      output[stream].append(text),
    );
    const reply = await withTimeout(call, timeoutMs);
    if (reply === "timeout") this.#replace(interpreter);
    const streams = { stdout: output.stdout.toString(), stderr: output.stderr.toString() };
    if (reply === "timeout") return processResult({ ...streams, result: "" }, KILLED, timeoutMs);
    if ("exited" in reply) {
      const stderr = streams.stderr + reply.exited;
      return processResult({ ...streams, stderr, result: "" }, FAILED, timeoutMs);
    }
    const exit = reply.failed ? FAILED : SUCCEEDED;
    return processResult({ ...streams, result: capText(reply.result) }, exit, timeoutMs);
  }

  /** The interpreter, started if there is none or if the one there talks to a worker now gone. */
  async #started(python: string): Promise<PythonInterpreter> {
    const driverAddress = await this.#options.node.driverAddress();
    const current = this.#interpreter;
    if (current?.alive && current.driverAddress === driverAddress) return current;
    current?.kill();
    const { cdpEndpoint, tmpDir, logger } = this.#options;
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
  #replace(interpreter: PythonInterpreter): void {
    interpreter.kill();
    if (this.#interpreter === interpreter) this.#interpreter = undefined;
    if (this.#closed || "problem" in this.#options.python) return;
    const python = this.#options.python.path;
    const next = this.#queue.then(() => this.#started(python));
    this.#queue = next.catch(() => {});
  }
}

const SUCCEEDED = { code: 0, killed: false };
const FAILED = { code: 1, killed: false };
const KILLED = { code: KILLED_EXIT_CODE, killed: true };

function unavailable(message: string): ExecResult {
  return { stdout: "", stderr: message, result: "", exitCode: 1, killed: false, error: message };
}
