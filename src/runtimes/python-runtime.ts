import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Duplex } from "node:stream";
import type { Logger } from "../log.ts";
import type { ExecResult, NodeRuntime } from "./node-runtime.ts";
import { OutputBuffer } from "./output-buffer.ts";
import { processResult, runToExit } from "./process-group.ts";
import type { BridgeCall } from "./python-bridge.ts";

export interface PythonRuntimeOptions {
  /** The session's node runtime, whose worker holds the Playwright objects Python drives. */
  node: NodeRuntime;
  /** The session's /tmp: Python's working folder and HOME. */
  tmpDir: string;
  logger: Logger;
  /** Default: the system's python3. */
  python?: string;
}

const RUNNER = path.join(import.meta.dirname, "python", "skiff_runner.py");
const PYTHON_CANDIDATES = ["/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"];

type RunnerMessage = (BridgeCall & { id: number }) | { op: "result"; value: string };

/**
 * Runs `language: "python"` code: Python 3 with top-level await and an async `page` and
 * `context` that follow Playwright for Python, bridged call by call to the session's Node
 * Playwright (python/skiff_runner.py ↔ python-bridge.ts). `print` is stdout, a traceback is
 * stderr, the last expression is `result`. A timeout kills Python and the call it waits on.
 */
export class PythonRuntime {
  readonly #options: PythonRuntimeOptions;
  readonly #python: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: PythonRuntimeOptions) {
    this.#options = options;
    const candidates = options.python === undefined ? PYTHON_CANDIDATES : [options.python];
    this.#python = candidates.find((p) => existsSync(p));
  }

  run(code: string, options: { timeoutMs: number }): Promise<ExecResult> {
    const job = this.#queue.then(() => this.#run(code, options.timeoutMs));
    this.#queue = job.catch(() => {});
    return job;
  }

  async #run(code: string, timeoutMs: number): Promise<ExecResult> {
    if (!this.#python) return missingPython();
    const output = { stdout: new OutputBuffer(), stderr: new OutputBuffer() };
    const child = spawn(this.#python, ["-u", RUNNER], {
      cwd: this.#options.tmpDir,
      env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: this.#options.tmpDir, LANG: "C.UTF-8" },
      detached: true,
      stdio: ["pipe", "pipe", "pipe", "pipe"],
    });
    child.stdin?.end(code);
    const result = this.#serve(child);
    const exit = await runToExit(child, "python3", timeoutMs, output);
    // The Playwright call Python was waiting on is stopped with it.
    if (exit.killed) await this.#options.node.interrupt();
    const streams = {
      stdout: output.stdout.toString(),
      stderr: output.stderr.toString(),
      result: await result,
    };
    return processResult(streams, exit, timeoutMs);
  }

  /** Answers the runner's calls in order; resolves with its result ("" when it sent none). */
  async #serve(child: ChildProcess): Promise<string> {
    const channel = child.stdio[3] as Duplex;
    let result = "";
    for await (const line of createInterface({ input: channel, crlfDelay: Infinity })) {
      const message = JSON.parse(line) as RunnerMessage;
      if (message.op === "result") {
        result = message.value;
        continue;
      }
      const reply = await this.#options.node.bridge(message);
      if (!channel.destroyed) channel.write(`${JSON.stringify({ id: message.id, ...reply })}\n`);
    }
    return result;
  }
}

function missingPython(): ExecResult {
  const message =
    "python3 is not installed on this server, so language 'python' cannot run (install the Debian package python3).";
  return { stdout: "", stderr: message, result: "", exitCode: 127, killed: false, error: message };
}
