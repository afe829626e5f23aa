import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { LevelLogger } from "../log.ts";
import { contentTab, listTabs, openBlankTab, type PageTarget } from "./cdp-chromium.ts";
import type { ExecResult } from "./node-runtime.ts";
import { OutputBuffer } from "./output-buffer.ts";
import { processResult, runToExit, type ProcessExit } from "./process-group.ts";
import { isRunning } from "./proc-stat.ts";
import { sweepBeforeConnecting } from "./tab-sweep.ts";
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
  /** `127.0.0.1:<port>` of the session's Chromium, from `cdpEndpoint`. */
  readonly #cdpHost: string;
  /** The tab agent-browser is pinned to, once it has attached. */
  #pinnedTab: string | undefined;
  /** Pinning in progress, which a call that timed out leaves to the next. */
  #pinning: Promise<void> | undefined;
  /** A call before timed out or did not attach: the next sweeps the browser's tabs first. */
  #sweepFirst = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: BashRuntimeOptions) {
    this.#options = options;
    this.#cdpHost = new URL(options.cdpEndpoint).host;
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

  /** A node or python call timed out: the next bash call sweeps the tabs first, as after its own. */
  sweepBeforeNextCall(): void {
    this.#sweepFirst = true;
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
      if (attached === "timeout") {
        this.#sweepFirst = true;
        return notAttached(timeoutMs);
      }
      const left = Math.max(1, timeoutMs - (performance.now() - started));
      const result = await this.#collect(command, args, left, timeoutMs);
      if (result.killed) this.#sweepFirst = true;
      return result;
    });
    this.#queue = job.catch(() => {});
    return job;
  }

  /**
   * agent-browser attached and pinned to a tab that is open. It pins again when its tab has gone
   * (user code closed it, or a node or python call's successor swept it: tab-sweep.ts), and after
   * a call that timed out or did not attach it sweeps first, as they do: a tab stuck in its own
   * JavaScript answers none of agent-browser's commands, `open` included, and left every later
   * bash call of the session to time out. Each call checks its tab with one look at the tab list.
   */
  #attach(): Promise<void> {
    if (!this.#pinning) {
      const sweep = this.#sweepFirst;
      this.#sweepFirst = false;
      this.#pinning = this.#ensurePinned(sweep).finally(() => (this.#pinning = undefined));
    }
    return this.#pinning;
  }

  async #ensurePinned(sweep: boolean): Promise<void> {
    if (sweep) await sweepBeforeConnecting(this.#options.cdpEndpoint, this.#options.logger);
    const tabs = await listTabs(this.#cdpHost);
    if (!tabs.some((t) => t.id === this.#pinnedTab)) await this.#pin(tabs);
  }

  /**
   * Pins agent-browser to the content tab, or to a new blank one when the browser has none left.
   * A daemon that had a tab stuck under it answers nothing more, on any tab, so a daemon from
   * before is stopped and the command starts a new one; `tab` works with the old tab gone. A
   * daemon attaching with no tab of its own opens a blank one, which is closed, so the session
   * keeps one tab.
   */
  async #pin(tabs: PageTarget[]): Promise<void> {
    const content = tabs.length > 0 ? contentTab(tabs).id : await openBlankTab(this.#cdpHost);
    await stopDaemon(this.#options.tmpDir);
    linkAgentBrowser(this.#options);
    // The first command to a new daemon now and then comes back "Connection reset by peer" (one
    // run of the bash tests in five): `tab` does the same again, so it is sent once more.
    await this.#agentBrowser(["tab", content]).catch(() => this.#agentBrowser(["tab", content]));
    this.#pinnedTab = content;
    const listed = await this.#agentBrowser(["tab", "list", "--json"]);
    const own = (JSON.parse(listed) as { data: { tabs: AgentTab[] } }).data.tabs;
    for (const tab of own) {
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

/**
 * Kills agent-browser's daemon, found by the pid file it keeps in the session's /tmp, and waits
 * (up to 2 s) until it is gone: a command sent meanwhile reaches the dying daemon's socket and
 * fails. Code in the session can write that file, so the pid is checked to be agent-browser's.
 */
async function stopDaemon(tmpDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(tmpDir, ".agent-browser", "default.pid"), "utf8"));
    if (!Number.isInteger(pid) || pid <= 1) return;
    if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("agent-browser")) return;
    process.kill(pid, "SIGKILL");
  } catch {
    return; // No daemon runs (or it has just exited): the next command starts one.
  }
  const until = Date.now() + 2_000;
  while (Date.now() < until && isRunning(pid)) await delay(20);
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
