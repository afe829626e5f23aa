// One Skiff node as a child process: `node src/main.ts` with the Node that runs the tests, its own
// ports and DATA_DIR, its output in DATA_DIR/node.log, leading a process group of its own.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  descendantsOf,
  processesWithEnv,
  ProcessLedger,
  type ProcessInfo,
} from "./process-tree.ts";

export interface ClusterNode {
  readonly index: number;
  readonly port: number;
  readonly internalPort: number;
  /** http://127.0.0.1:<port>, the public API. */
  readonly url: string;
  readonly pid: number;
  readonly dataDir: string;
  /** Settles once the process has ended. */
  readonly exited: Promise<NodeExit>;
  readonly running: boolean;
  /** Sends `signal` to the node's process group (SIGKILL, SIGSTOP, SIGCONT…). */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM (the node drains and closes), SIGKILL to the group after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** The last lines the node wrote (stdout and stderr). */
  logTail(lines?: number): string;
  /** The node's descendants now: its browsers, sandboxes and what runs in them. */
  processes(): ProcessInfo[];
  /** Once the node has ended: what it started that still runs (none while it runs). */
  leftovers(): ProcessInfo[];
}

export interface NodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchOptions {
  index: number;
  main: string;
  env: Record<string, string>;
  /** `NAME=value` set in the node's environment, which its Chromium inherits: found in /proc. */
  marker: string;
}

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const LAUNCH_ATTEMPTS = 3;
/**
 * Loaded into every node before main.ts: when the test process ends without stopping the node
 * (a crash, a runner's timeout), the node's stdin pipe closes and the node kills its group.
 */
const WATCHDOG =
  "data:text/javascript," +
  encodeURIComponent(
    'process.stdin.on("data",()=>{}).on("error",()=>{})' +
      '.on("end",()=>process.kill(-process.pid,"SIGKILL"));',
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Ports free a moment ago, held together so that they differ; a lost race is retried. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export class NodeProcess implements ClusterNode {
  readonly index: number;
  readonly port: number;
  readonly internalPort: number;
  readonly url: string;
  readonly dataDir: string;
  readonly exited: Promise<NodeExit>;
  readonly #child: ChildProcess;
  readonly #logFile: string;
  readonly #marker: string;
  readonly #ledger = new ProcessLedger();
  #exit: NodeExit | undefined;

  /**
   * Starts a node in a new DATA_DIR and waits until it is ready; a port taken meanwhile is
   * retried with others. A node that never gets ready is killed and its DATA_DIR removed.
   */
  static async launch(options: LaunchOptions): Promise<NodeProcess> {
    for (let attempt = 1; ; attempt++) {
      const [port = 0, internalPort = 0] = await freePorts(2);
      const dataDir = mkdtempSync(path.join(tmpdir(), `skiff-node${options.index}-`));
      const node = new NodeProcess(options, dataDir, port, internalPort);
      try {
        await node.#waitReady();
        return node;
      } catch (err) {
        node.kill("SIGKILL");
        await node.exited;
        const portTaken = node.logTail(200).includes("EADDRINUSE");
        rmSync(dataDir, { recursive: true, force: true });
        if (!portTaken || attempt === LAUNCH_ATTEMPTS) throw err;
      }
    }
  }

  private constructor(options: LaunchOptions, dataDir: string, port: number, internalPort: number) {
    this.index = options.index;
    this.port = port;
    this.internalPort = internalPort;
    this.url = `http://127.0.0.1:${port}`;
    this.dataDir = dataDir;
    this.#marker = options.marker;
    this.#logFile = path.join(dataDir, "node.log");
    this.#child = this.#spawn(options);
    this.exited = new Promise((resolve) => {
      const ended = (exit: NodeExit) => resolve((this.#exit ??= exit));
      this.#child.once("exit", (code, signal) => ended({ code, signal }));
      this.#child.once("error", () => ended({ code: null, signal: null }));
    });
  }

  #spawn(options: LaunchOptions): ChildProcess {
    const [markerName = "", markerValue = ""] = options.marker.split("=");
    const log = openSync(this.#logFile, "w");
    try {
      const child = spawn(process.execPath, ["--import", WATCHDOG, options.main], {
        cwd: PROJECT_ROOT,
        env: {
          ...options.env,
          PORT: String(this.port),
          INTERNAL_PORT: String(this.internalPort),
          DATA_DIR: this.dataDir,
          [markerName]: markerValue,
        },
        stdio: ["pipe", log, log],
        detached: true,
      });
      child.stdin?.on("error", () => {});
      child.unref();
      return child;
    } finally {
      closeSync(log);
    }
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get running(): boolean {
    return this.#exit === undefined && this.#child.pid !== undefined;
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (!this.running) return;
    this.#ledger.record(this.processes());
    try {
      process.kill(-this.pid, signal);
    } catch {
      // The group is gone already.
    }
  }

  async stop(timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
    if (!this.running) return;
    this.#ledger.record(this.processes());
    // A stopped (SIGSTOP) node would hold the SIGTERM until it runs again.
    this.kill("SIGCONT");
    this.#child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.exited, bound]);
    clearTimeout(timer);
    this.kill("SIGKILL");
    await this.exited;
  }

  logTail(lines = 40): string {
    try {
      return readFileSync(this.#logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  processes(): ProcessInfo[] {
    return this.running ? descendantsOf(this.pid) : [];
  }

  leftovers(): ProcessInfo[] {
    if (this.running) return [];
    this.#ledger.record(processesWithEnv(this.#marker));
    return this.#ledger.alive();
  }

  /** Polls readiness until 200; throws with the log's tail if the node ends or takes too long. */
  async #waitReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (this.running && Date.now() < deadline) {
      if (await this.#isReady()) return;
      await sleep(250);
    }
    const why = this.#exit
      ? `exited (code ${this.#exit.code}, signal ${this.#exit.signal}) before it was ready`
      : `was not ready after ${READY_TIMEOUT_MS / 1000} s`;
    throw new Error(
      `cluster node ${this.index} (pid ${this.pid}, port ${this.port}, internal port ` +
        `${this.internalPort}) ${why}; the end of its output:\n${this.logTail()}`,
    );
  }

  async #isReady(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/v0/health/readiness`, {
        signal: AbortSignal.timeout(2_000),
      });
      await res.body?.cancel();
      return res.status === 200;
    } catch {
      return false;
    }
  }
}
