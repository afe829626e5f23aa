import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Duplex } from "node:stream";
import type { Logger } from "../log.ts";
import { KILLED_EXIT_CODE, type ExecResult, type NodeRuntime } from "./node-runtime.ts";
import { OutputBuffer } from "./output-buffer.ts";
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
    const stdout = new OutputBuffer();
    const stderr = new OutputBuffer();
    const child = spawn(this.#python, ["-u", RUNNER], {
      cwd: this.#options.tmpDir,
      env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: this.#options.tmpDir, LANG: "C.UTF-8" },
      detached: true,
      stdio: ["pipe", "pipe", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk: Buffer) => stdout.append(chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => stderr.append(chunk.toString("utf8")));
    child.stdin?.end(code);
    const result = this.#serve(child);
    const exit = await this.#exit(child, timeoutMs);
    const streams = { stdout: stdout.toString(), stderr: stderr.toString(), result: await result };
    if (exit.killed) {
      await this.#options.node.interrupt();
      const reason = `Execution timed out after ${timeoutMs} ms and was killed`;
      return { ...streams, result: "", exitCode: KILLED_EXIT_CODE, killed: true, error: reason };
    }
    if (exit.code === 0) return { ...streams, exitCode: 0, killed: false };
    const error = streams.stderr || `Execution failed (exit code ${exit.code})`;
    return { ...streams, result: "", exitCode: exit.code, killed: false, error };
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

  #exit(child: ChildProcess, timeoutMs: number): Promise<{ code: number; killed: boolean }> {
    return new Promise((resolve) => {
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      }, timeoutMs);
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 1, killed });
      });
    });
  }
}

function missingPython(): ExecResult {
  const message =
    "python3 is not installed on this server, so language 'python' cannot run (install the Debian package python3).";
  return { stdout: "", stderr: message, result: "", exitCode: 127, killed: false, error: message };
}
