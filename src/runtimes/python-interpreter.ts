import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Duplex } from "node:stream";
import type { LevelLogger } from "../log.ts";
import type { OutputStream } from "./node-worker-messages.ts";
import { killProcessGroup } from "./process-group.ts";

export interface PythonInterpreterOptions {
  /** The Python of the virtual environment that holds Playwright for Python. */
  python: string;
  /** The node runtime worker's Playwright driver (playwright-driver.ts). */
  driverAddress: string;
  cdpEndpoint: string;
  /** The session's /tmp: the interpreter's working folder and HOME. */
  tmpDir: string;
  logger: LevelLogger;
}

/** How a call ended: the runner's answer, or the interpreter's end. */
export type CallReply = { result: string; failed: boolean } | { exited: string };

type RunnerMessage =
  | { ready: true }
  | { id: number; stream: OutputStream; text: string }
  | { id: number; result: string; failed: boolean };

interface Pending {
  id: number;
  onOutput: (stream: OutputStream, text: string) => void;
  resolve: (reply: CallReply) => void;
}

const RUNNER = path.join(import.meta.dirname, "python", "skiff_runner.py");
/** What the interpreter printed outside any call, kept to explain a failed start. */
const STDERR_TAIL_CHARS = 4_000;

/**
 * One long-lived Python process running python/skiff_runner.py: connected once to the session's
 * browser through Playwright for Python, it then runs call after call. Killing it (a call past
 * its timeout) takes its whole process group; the browser lives on.
 */
export class PythonInterpreter {
  readonly driverAddress: string;
  readonly ready: Promise<void>;
  readonly #child: ChildProcess;
  readonly #logger: LevelLogger;
  #pending: Pending | undefined;
  #stderrTail = "";
  #exitReason: string | undefined;

  constructor(options: PythonInterpreterOptions) {
    this.driverAddress = options.driverAddress;
    this.#logger = options.logger;
    this.#child = spawn(options.python, ["-u", RUNNER], {
      cwd: options.tmpDir,
      env: {
        PATH: "/usr/local/bin:/usr/bin:/bin",
        HOME: options.tmpDir,
        TMPDIR: options.tmpDir,
        LANG: "C.UTF-8",
        // An abstract socket's leading NUL, written "@" as ss(8) does: no variable can hold a NUL.
        SKIFF_PLAYWRIGHT_DRIVER: options.driverAddress.replace(/^\0/, "@"),
        SKIFF_CDP_ENDPOINT: options.cdpEndpoint,
      },
      detached: true,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    this.ready = this.#listen();
    this.ready.catch(() => {});
  }

  get alive(): boolean {
    return this.#exitReason === undefined;
  }

  /** Runs one call; output arrives through `onOutput` as the code writes it. */
  run(id: number, code: string, onOutput: Pending["onOutput"]): Promise<CallReply> {
    if (this.#exitReason !== undefined) return Promise.resolve({ exited: this.#exitReason });
    return new Promise((resolve) => {
      this.#pending = { id, onOutput, resolve };
      this.#channel.write(`${JSON.stringify({ id, code })}\n`);
    });
  }

  kill(): void {
    killProcessGroup(this.#child.pid);
  }

  get #channel(): Duplex {
    return this.#child.stdio[3] as Duplex;
  }

  #listen(): Promise<void> {
    const ready = Promise.withResolvers<void>();
    for (const stream of ["stdout", "stderr"] as const) {
      this.#child[stream]?.on("data", (chunk: Buffer) => this.#onStray(stream, chunk.toString()));
    }
    const lines = createInterface({ input: this.#channel, crlfDelay: Infinity });
    lines.on("line", (line) => {
      const message = parseMessage(line);
      if (!message) return this.#logger.warn("python runner wrote a line that is not a message");
      if ("ready" in message) ready.resolve();
      else this.#onCallMessage(message);
    });
    this.#channel.on("error", () => {});
    this.#child.once("error", (err) => this.#onExit(`python could not start: ${err.message}`));
    this.#child.once("close", (code, signal) => {
      const how = signal ? `signal ${signal}` : `code ${code}`;
      this.#onExit(`the Python interpreter exited (${how})`);
      ready.reject(new Error(`${this.#exitReason}\n${this.#stderrTail}`.trim()));
    });
    return ready.promise;
  }

  #onCallMessage(message: Exclude<RunnerMessage, { ready: true }>): void {
    const pending = this.#pending;
    if (!pending || pending.id !== message.id) return;
    if ("stream" in message) return pending.onOutput(message.stream, message.text);
    this.#pending = undefined;
    pending.resolve({ result: message.result, failed: message.failed });
  }

  /** Writes to the process's own stdout and stderr (a subprocess, say) go to the call running. */
  #onStray(stream: OutputStream, text: string): void {
    if (this.#pending) return this.#pending.onOutput(stream, text);
    if (stream === "stderr") this.#stderrTail = (this.#stderrTail + text).slice(-STDERR_TAIL_CHARS);
    this.#logger.debug({ stream, text }, "python interpreter output between calls");
  }

  #onExit(reason: string): void {
    this.#exitReason ??= reason;
    this.#logger.debug({ reason }, "python interpreter exited");
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.resolve({ exited: this.#exitReason });
  }
}

/** User code shares the process, so fd 3 may carry anything: what is not a message is dropped. */
function parseMessage(line: string): RunnerMessage | undefined {
  try {
    const message = JSON.parse(line) as unknown;
    return typeof message === "object" && message !== null ? (message as RunnerMessage) : undefined;
  } catch {
    return undefined;
  }
}
