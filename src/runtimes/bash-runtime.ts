import { spawn } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import type { LevelLogger } from "../log.ts";
import { contentTab, listTabs } from "./cdp-chromium.ts";
import type { ExecResult } from "./node-runtime.ts";
import { OutputBuffer } from "./output-buffer.ts";
import { processResult, runToExit, type ProcessExit } from "./process-group.ts";
import { withTimeout } from "./with-timeout.ts";

export interface BashRuntimeOptions {
  /** `ws://127.0.0.1:<port>/devtools/browser/<id>` of the session's Chromium. */
  cdpEndpoint: string;
  /** The agent-browser native binary (from the npm package). */
  agentBrowser: string;
  /** The session's /tmp: the shell's working folder and HOME, where agent-browser's daemon lives. */
  tmpDir: string;
  logger: LevelLogger;
}

/** Commands to attach agent-browser get this long; the user's code gets its own timeout. */
const SETUP_TIMEOUT_MS = 20_000;

/**
 * Runs `language: "bash"` code in the session's sandbox, with `agent-browser` on PATH, attached
 * to the session's own Chromium and pinned to its content tab, so `agent-browser snapshot -i`
 * and `click @e3` work with no flags and refs carry from one call to the next. Its daemon and
 * the session's /tmp live as long as the session. A timeout kills the call's process group;
 * the browser and the daemon live on.
 */
export class BashRuntime {
  readonly #options: BashRuntimeOptions;
  readonly #env: Record<string, string>;
  #attached: Promise<void> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: BashRuntimeOptions) {
    this.#options = options;
    this.#env = {
      PATH: `${binDir(options)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: options.tmpDir,
      TMPDIR: options.tmpDir,
      LANG: "C.UTF-8",
      AGENT_BROWSER_CDP: options.cdpEndpoint,
      AGENT_BROWSER_PIN_TAB: "1",
      AGENT_BROWSER_NO_VERSION_CHECK: "1",
    };
  }

  /** Queues a call behind the ones already submitted; `timeoutMs` counts from its own start. */
  run(code: string, options: { timeoutMs: number }): Promise<ExecResult> {
    return this.#enqueue("bash", ["-c", code], options.timeoutMs);
  }

  /** One agent-browser command, its arguments passed as they are: no shell reads them. */
  command(args: string[], options: { timeoutMs: number }): Promise<ExecResult> {
    return this.#enqueue("agent-browser", args, options.timeoutMs);
  }

  /**
   * The attach counts within the call's timeout, as a node call's connection does, so that the
   * host answers within the time the server gives the call; one that outlives the call goes on
   * for the next, and the call's own command does not run.
   */
  #enqueue(command: string, args: string[], timeoutMs: number): Promise<ExecResult> {
    const job = this.#queue.then(async () => {
      const started = performance.now();
      const attached = await withTimeout(this.#attach(), timeoutMs);
      if (attached === "timeout") return notAttached(timeoutMs);
      const left = Math.max(1, timeoutMs - (performance.now() - started));
      return this.#collect(command, args, left, timeoutMs);
    });
    this.#queue = job.catch(() => {});
    return job;
  }

  /**
   * Once per session: agent-browser attaches with a blank tab of its own; it is switched to the
   * content tab (which it then stays pinned to) and its blank tab is closed, so the session keeps
   * one tab.
   */
  #attach(): Promise<void> {
    this.#attached ??= this.#switchToContent().catch((err: unknown) => {
      this.#attached = undefined;
      throw err;
    });
    return this.#attached;
  }

  async #switchToContent(): Promise<void> {
    linkAgentBrowser(this.#options);
    const content = contentTab(await listTabs(new URL(this.#options.cdpEndpoint).host)).id;
    await this.#agentBrowser(["get", "url"]);
    const listed = await this.#agentBrowser(["tab", "list", "--json"]);
    const tabs = (JSON.parse(listed) as { data: { tabs: AgentTab[] } }).data.tabs;
    await this.#agentBrowser(["tab", content]);
    for (const tab of tabs) {
      if (tab.targetId !== content && tab.url === "about:blank") {
        await this.#agentBrowser(["tab", "close", tab.targetId]);
      }
    }
  }

  async #agentBrowser(args: string[]): Promise<string> {
    const output = { stdout: new OutputBuffer(), stderr: new OutputBuffer() };
    const exit = await this.#spawn("agent-browser", args, SETUP_TIMEOUT_MS, output);
    if (exit.code !== 0) {
      const why = output.stderr.toString() || output.stdout.toString();
      throw new Error(`agent-browser ${args.join(" ")} failed: ${why}`);
    }
    return output.stdout.toString();
  }

  /** Runs the command for `leftMs`, the part of the call's `timeoutMs` the attach left. */
  async #collect(
    command: string,
    args: string[],
    leftMs: number,
    timeoutMs: number,
  ): Promise<ExecResult> {
    const output = { stdout: new OutputBuffer(), stderr: new OutputBuffer() };
    const exit = await this.#spawn(command, args, leftMs, output);
    const streams = {
      stdout: output.stdout.toString(),
      stderr: output.stderr.toString(),
      result: "",
    };
    return processResult(streams, exit, timeoutMs);
  }

  /** Its own process group, so a timeout takes the whole pipeline (`sleep 100 | cat` too). */
  #spawn(
    command: string,
    args: string[],
    timeoutMs: number,
    output: { stdout: OutputBuffer; stderr: OutputBuffer },
  ): Promise<ProcessExit> {
    const child = spawn(command, args, {
      cwd: this.#options.tmpDir,
      env: this.#env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return runToExit(child, command, timeoutMs, output);
  }
}

function notAttached(timeoutMs: number): ExecResult {
  const error = `agent-browser did not attach to the session's browser within the call's ${timeoutMs} ms`;
  return { stdout: "", stderr: error, result: "", exitCode: 1, killed: false, error };
}

interface AgentTab {
  targetId: string;
  url: string;
}

/** Where the `agent-browser` command is put for the shell: a folder in the session's /tmp. */
function binDir(options: BashRuntimeOptions): string {
  return path.join(options.tmpDir, ".skiff", "bin");
}

function linkAgentBrowser(options: BashRuntimeOptions): void {
  const dir = binDir(options);
  mkdirSync(dir, { recursive: true });
  try {
    symlinkSync(options.agentBrowser, path.join(dir, "agent-browser"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}
