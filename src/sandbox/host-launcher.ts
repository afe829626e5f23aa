import { writeFileSync } from "node:fs";
import type net from "node:net";
import path from "node:path";
import type { Logger } from "../log.ts";
import type { EgressCounters, EgressProxy, ProxyListener } from "../net/egress-proxy.ts";
import { settleWithin } from "../scrape/deadline.ts";
import { CdpRelay } from "./cdp-relay.ts";
import type { HostCode } from "./compile-cache.ts";
import type { PythonEnv } from "./python-env.ts";
import type { ViewFrame, ViewInput } from "./screencast.ts";
import { ChannelError, HostChannel, HostListener } from "./host-channel.ts";
import {
  createSessionDir,
  launchSandboxed,
  runDirInside,
  sessionDirs,
  type SandboxExit,
  type SandboxMode,
  type SandboxOptions,
  type SandboxProcess,
} from "./sandbox-launcher.ts";
import type {
  BrowserCommandRequest,
  ExecRequest,
  ExecResult,
  OpenResult,
  ReplayRequest,
  ReplayResult,
} from "./session-host-protocol.ts";

export interface HostLaunchOptions {
  mode: SandboxMode;
  chromePath: string;
  /** Where the session's directory is made; the reaper finds a dead server's hosts there. */
  parentDir: string;
  logger: Logger;
  /**
   * The way out for the session's browser (and user code): the sandbox gets its own network
   * namespace with loopback only, and a socket to this proxy. Without one (tests of the host
   * alone), the sandbox shares the host's network.
   */
  proxy?: EgressProxy | undefined;
  hostLogLevel?: string;
  /** The agent-browser binary (agent-browser.ts) that `bash` calls use; none refuses them. */
  agentBrowser?: string | undefined;
  /** The compile cache and replaced files (compile-cache.ts) every host shares read-only. */
  hostCode?: HostCode | undefined;
  /** Playwright for Python's environment (python-env.ts); python calls need one. */
  python?: PythonEnv | undefined;
}

/** The file in a session directory (outside the sandbox's view) that names its host's pid. */
export const HOST_PID_FILE = "host.pid";

const HOST_SCRIPT = path.join(import.meta.dirname, "session-host-main.ts");
const SOCKET_NAME = "host.sock";
const PROXY_SOCKET_NAME = "proxy.sock";
const CDP_SOCKET_NAME = "cdp.sock";
/** Node, the host and Chromium start and connect within this, or the launch failed. */
const CONNECT_TIMEOUT_MS = 20_000;
const OPEN_TIMEOUT_MS = 30_000;
/** A host missing this many seconds of heartbeats is dead; generous for a loaded machine. */
const HEARTBEAT_MS = 1000;
const MISSED_HEARTBEATS = 10;
/** Past the code's own timeout, how long the host gets to report a killed run. */
const EXEC_SLACK_MS = 15_000;
const SHUTDOWN_TIMEOUT_MS = 5_000;
const STORAGE_TIMEOUT_MS = 10_000;
const VIEW_TIMEOUT_MS = 10_000;
const EXIT_GRACE_MS = 5_000;

/** A program to run in a sandbox that will connect back over a host channel. */
export interface SandboxedHostOptions extends Omit<SandboxOptions, "args"> {
  /** Its arguments, given the channel socket's path as the program will see it. */
  args: (socketInside: string) => string[];
  heartbeatMs: number;
  missedHeartbeats: number;
  /** Told the process as soon as it is launched, before it connects. */
  onLaunch?: (proc: SandboxProcess) => void;
}

/**
 * Listen, launch, accept: a sandboxed program connected over a host channel. Fails with
 * ChannelError when it exits or does not connect in time, and then leaves nothing running.
 */
export async function connectSandboxedHost(
  options: SandboxedHostOptions,
): Promise<{ proc: SandboxProcess; channel: HostChannel }> {
  const { run } = sessionDirs(options.workDir);
  const listener = await HostListener.open(path.join(run, SOCKET_NAME));
  const socketInside = path.join(runDirInside(options.mode, options.workDir), SOCKET_NAME);
  const proc = launchSandboxed({ ...options, args: options.args(socketInside) });
  options.onLaunch?.(proc);
  try {
    const socket = await Promise.race([
      listener.accept({ timeoutMs: CONNECT_TIMEOUT_MS }),
      exitedEarly(proc),
    ]);
    const { logger, heartbeatMs, missedHeartbeats } = options;
    const channel = new HostChannel(socket, {
      logger,
      process: proc,
      heartbeatMs,
      missedHeartbeats,
    });
    return { proc, channel };
  } catch (err) {
    listener.close();
    proc.kill();
    await proc.exited;
    throw err;
  }
}

/**
 * Starts one session host in its sandbox and opens its browser: listen, launch, accept, `open`.
 * Fails with ChannelError (and leaves nothing running) when any step does.
 */
export async function launchSessionHost(options: HostLaunchOptions): Promise<SessionHostHandle> {
  const started = performance.now();
  const workDir = await createSessionDir(options.parentDir);
  const { run } = sessionDirs(workDir);
  const egress = await options.proxy?.listenUnix(path.join(run, PROXY_SOCKET_NAME), "warm host");
  const cdp = await CdpRelay.listen(path.join(run, CDP_SOCKET_NAME));
  const inside = (name: string) => path.join(runDirInside(options.mode, workDir), name);
  const release = async () => {
    cdp.close();
    await egress?.close();
  };
  const { proc, channel } = await connectSandboxedHost({
    command: process.execPath,
    args: (socket) => hostArgs(options, socket, egress ? inside(PROXY_SOCKET_NAME) : undefined),
    mode: options.mode,
    workDir,
    bindReadOnly: [
      ...chromeBinds(options.chromePath),
      ...(options.python && "binds" in options.python ? options.python.binds : []),
    ],
    shareNetwork: !egress,
    env: HOST_MALLOC_ENV,
    compileCache: options.hostCode?.compileCache,
    replaceReadOnly: options.hostCode?.replacements,
    logger: options.logger,
    heartbeatMs: HEARTBEAT_MS,
    missedHeartbeats: MISSED_HEARTBEATS,
    // For the reaper, should this server die before the host connects.
    onLaunch: (launched) => {
      if (launched.pid !== undefined) {
        writeFileSync(path.join(workDir, HOST_PID_FILE), String(launched.pid));
      }
    },
  }).catch(async (err: unknown) => {
    await release();
    throw err;
  });
  try {
    const connected = performance.now();
    const opened = await channel.request<OpenResult>("open", {}, { timeoutMs: OPEN_TIMEOUT_MS });
    // Where a session's start goes: the sandbox and the host's Node, then its browser and runtime.
    options.logger.info(
      {
        hostPid: proc.pid,
        connectMs: Math.round(connected - started),
        openMs: Math.round(performance.now() - connected),
        chromiumMs: opened.chromiumMs,
        runtimeMs: opened.runtimeMs,
      },
      "session host started",
    );
    const relay = {
      relay: cdp,
      socketInside: inside(CDP_SOCKET_NAME),
      endpoint: opened.cdpEndpoint,
    };
    return new SessionHostHandle(proc, channel, egress, relay);
  } catch (err) {
    await release();
    proc.kill();
    await proc.exited;
    throw err;
  }
}

/**
 * A host idles most of its life, so its V8 heaps trade a little speed for memory: a 1 MB
 * semi-space (young generation) saves ~15 MB per host, measured with `./skiff bench`.
 */
export const HOST_NODE_FLAGS = ["--max-semi-space-size=1"];
/**
 * glibc's malloc, for everything in the sandbox (Chromium has its own allocator): one arena
 * rather than one per thread of the host's Node, and blocks of 128 KB and more mapped on their
 * own, so they go back to the system when freed, instead of a threshold that grows with them.
 * Measured on an idle session: ~4 MB and ~3 MB less of the host's anonymous memory.
 */
export const HOST_MALLOC_ENV = { MALLOC_ARENA_MAX: "1", MALLOC_MMAP_THRESHOLD_: "131072" };

function hostArgs(
  options: HostLaunchOptions,
  socket: string,
  proxySocket: string | undefined,
): string[] {
  const logLevel = options.hostLogLevel ?? "warn";
  const hostFlags = ["--socket", socket, "--chrome", options.chromePath, "--log-level", logLevel];
  if (proxySocket) hostFlags.push("--proxy-socket", proxySocket);
  if (options.agentBrowser) hostFlags.push("--agent-browser", options.agentBrowser);
  const { python } = options;
  if (python)
    hostFlags.push(
      ...("path" in python ? ["--python", python.path] : ["--python-missing", python.problem]),
    );
  return [...HOST_NODE_FLAGS, HOST_SCRIPT, ...hostFlags];
}

/** A Chromium outside /usr (CHROME_PATH=/opt/…) needs its folder inside the sandbox. */
function chromeBinds(chromePath: string): string[] {
  return chromePath.startsWith("/usr/") ? [] : [path.dirname(chromePath)];
}

async function exitedEarly(proc: SandboxProcess): Promise<never> {
  const exit = await proc.exited;
  const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
  throw new ChannelError("HOST_EXITED", `the session host exited (${how}) before it connected`);
}

/**
 * A running, opened session host: its sandboxed process and its channel, with typed calls.
 * `exited` settles once the process is gone and its directory removed, however it ended.
 */
/** How the server reaches a host's DevTools: its relay socket, as the host names it, and endpoint. */
interface HostCdp {
  relay: CdpRelay;
  socketInside: string;
  endpoint: string;
}

export class SessionHostHandle {
  readonly #proc: SandboxProcess;
  readonly #channel: HostChannel;
  readonly #egress: ProxyListener | undefined;
  readonly #cdp: HostCdp;
  #stopping: Promise<void> | undefined;

  constructor(
    proc: SandboxProcess,
    channel: HostChannel,
    egress: ProxyListener | undefined,
    cdp: HostCdp,
  ) {
    this.#proc = proc;
    this.#channel = channel;
    this.#egress = egress;
    this.#cdp = cdp;
    // A channel that fails (missed heartbeats, broken protocol) has killed the process already.
    void channel.closed.then(() => (this.#stopping ? undefined : proc.kill()));
    void proc.exited.then(() => {
      cdp.relay.close();
      return egress?.close();
    });
  }

  /**
   * A raw stream to the session's DevTools server, and the path of its browser endpoint
   * (`/devtools/browser/<id>`): what a `cdpUrl` client is joined to.
   */
  async openCdp(): Promise<{ socket: net.Socket; browserPath: string }> {
    const { relay, socketInside, endpoint } = this.#cdp;
    const ask = () => this.#channel.request("cdp-connect", { socket: socketInside });
    return { socket: await relay.connect(ask), browserPath: new URL(endpoint).pathname };
  }

  /** Bytes and refusals through the egress proxy so far; zeros without a proxy. */
  get egress(): EgressCounters {
    return this.#egress?.counters ?? { bytesIn: 0, bytesOut: 0, refusals: 0 };
  }

  /** Names the session this host now serves, in the proxy's logs. */
  set egressLabel(label: string) {
    if (this.#egress) this.#egress.label = label;
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  get exited(): Promise<SandboxExit> {
    return this.#proc.exited;
  }

  /** Why the channel ended, once it has: the host's death, or the server closing it. */
  get channelClosed(): Promise<ChannelError> {
    return this.#channel.closed;
  }

  get isAlive(): boolean {
    return this.#channel.isOpen;
  }

  replay(request: ReplayRequest): Promise<ReplayResult> {
    const timeoutMs = request.timeoutMs + EXEC_SLACK_MS;
    return this.#channel.request<ReplayResult>("replay", request, { timeoutMs });
  }

  exec(request: ExecRequest): Promise<ExecResult> {
    const timeoutMs = request.timeoutMs + EXEC_SLACK_MS;
    return this.#channel.request<ExecResult>("exec", request, { timeoutMs });
  }

  browserCommand(request: BrowserCommandRequest): Promise<ExecResult> {
    const timeoutMs = request.timeoutMs + EXEC_SLACK_MS;
    return this.#channel.request<ExecResult>("browser-command", request, { timeoutMs });
  }

  /** Starts the content tab's screencast; each frame arrives through `onFrame`. */
  async startView(): Promise<void> {
    await this.#channel.request("view-start", {}, { timeoutMs: VIEW_TIMEOUT_MS });
  }

  async stopView(): Promise<void> {
    if (this.#channel.isOpen)
      await this.#channel.request("view-stop", {}, { timeoutMs: VIEW_TIMEOUT_MS });
  }

  /** Mouse, keyboard or text from the interactive viewer, into the content tab. */
  async viewInput(input: ViewInput): Promise<void> {
    await this.#channel.request("view-input", input, { timeoutMs: VIEW_TIMEOUT_MS });
  }

  onFrame(handler: (frame: ViewFrame) => void): () => void {
    return this.#channel.on("frame", (data) => handler(data as ViewFrame));
  }

  /** The browser's storage state, for a profile; bounded, as the session is ending. */
  storageState(): Promise<unknown> {
    return this.#channel.request<unknown>("storage", {}, { timeoutMs: STORAGE_TIMEOUT_MS });
  }

  /** Asks the host to close its browser and exit; kills it if it does not. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /** Kills the whole sandbox at once, with no chance to close cleanly. */
  kill(): void {
    this.#proc.kill();
  }

  async #stop(): Promise<void> {
    if (this.#channel.isOpen) {
      const asked = this.#channel.request("shutdown", {}, { timeoutMs: SHUTDOWN_TIMEOUT_MS });
      await asked.catch(() => undefined);
      this.#channel.close();
    }
    let exited = false;
    await settleWithin(
      this.#proc.exited.then(() => (exited = true)),
      EXIT_GRACE_MS,
    );
    if (!exited) this.#proc.kill();
    await this.#proc.exited;
  }
}
