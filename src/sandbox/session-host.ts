// The one process inside a session's sandbox: it owns the session's Chromium and runtimes and
// answers the server over the channel socket. It is its own program, so its settings come from
// argv, not from config.ts. Sandboxes run it through session-host-main.ts, which starts the node
// runtime's worker first; run alone it starts that worker itself. Usage:
//   node session-host.ts --socket /run/skiff/host.sock --chrome <path> [--log-level info]
import net from "node:net";
import os from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import type { LevelLogger } from "../log.ts";
import { BashRuntime } from "../runtimes/bash-runtime.ts";
import { launchCdpChromium, type CdpChromium } from "../runtimes/cdp-chromium.ts";
import { trimHeapOnceIdle } from "../runtimes/idle-trim.ts";
import { NodeRuntime } from "../runtimes/node-runtime.ts";
import { PythonRuntime } from "../runtimes/python-runtime.ts";
import type { WorkerThread } from "../runtimes/worker-thread.ts";
import { settleWithin } from "../scrape/deadline.ts";
import { createHostLogger } from "./host-log.ts";
import { ProxyForwarder } from "./proxy-forwarder.ts";
import { Screencast, type ViewInput } from "./screencast.ts";
import { serveChannel, type HostConnection, type HostHandler } from "./serve-channel.ts";
import type {
  CdpConnectRequest,
  BrowserCommandRequest,
  ExecRequest,
  ExecResult,
  OpenResult,
  ReplayRequest,
  ReplayResult,
} from "./session-host-protocol.ts";
import { pickContentPage } from "../runtimes/replay.ts";

export interface SessionHostOptions {
  chromePath: string;
  /** The egress proxy's socket; without one the browser uses the network it finds. */
  proxySocket?: string | undefined;
  /** The agent-browser binary for `bash` calls; without one they are refused. */
  agentBrowser?: string | undefined;
  /** Playwright for Python's interpreter for `python` calls, or why there is none. */
  python?: { path: string } | { problem: string };
  /** The node runtime's worker, started ahead with `pickContentPage` (session-host-main.ts). */
  runtimeThread?: WorkerThread | undefined;
  logger: LevelLogger;
}

/**
 * The host's main thread never loads Playwright (it costs ~70 MB per process): the replay and
 * user code both run in the node runtime's worker, on its one CDP connection.
 */
interface OpenSession {
  chromium: CdpChromium;
  runtime: NodeRuntime;
  bash: BashRuntime | undefined;
  python: PythonRuntime;
  forwarder: ProxyForwarder | undefined;
  chromiumMs: number;
  runtimeMs: number;
}

/**
 * Popups are allowed, as in a browser Playwright launches (the scrape pool's): a page opens the
 * same tabs in its session as in its scrape, and the replay's tab sync closes the stray ones.
 * The GPU and network services run inside the browser process, and renderers start without a
 * zygote: a session is one user's, so a crash there ends only that session, and an idle session's
 * Chromium is two processes (browser, renderer) instead of six.
 */
export const SESSION_CHROMIUM_ARGS = [
  "--headless",
  "--disable-popup-blocking",
  "--in-process-gpu",
  // Chromium 156 ignores the old name "NetworkServiceInProcess" and keeps a network process;
  // this name moves it in: ~15 MB PSS (~10 MB anonymous) less per idle session, measured.
  "--enable-features=NetworkServiceInProcess2",
  "--no-zygote",
];
/** Bounds for closing: a wedged connection must not keep Chromium alive. */
const CLOSE_STEP_MS = 3_000;
/** After `shutdown` the host ends the channel; if the server never closes its end, it exits anyway. */
const CHANNEL_END_GRACE_MS = 1_000;

/**
 * One session's browser and runtimes, served over the channel. The server trusts its host and
 * the host trusts its server, so payloads are typed by the protocol rather than re-validated.
 */
export class SessionHost {
  readonly #options: SessionHostOptions;
  #opening: Promise<OpenSession> | undefined;
  #closing: Promise<void> | undefined;
  #connection: HostConnection | undefined;
  #screencast: Screencast | undefined;
  #shutdownAsked = Promise.withResolvers<void>();

  readonly #cdpEndpoint = Promise.withResolvers<string>();
  /**
   * Started with the host: loading Playwright in its worker takes longer than launching Chromium
   * (~250 ms against ~100 ms here), so it runs while the channel connects and the browser starts.
   */
  readonly #runtime: NodeRuntime;

  constructor(options: SessionHostOptions) {
    this.#options = options;
    this.#cdpEndpoint.promise.catch(() => {});
    this.#runtime = new NodeRuntime({
      cdpEndpoint: this.#cdpEndpoint.promise,
      pickPage: pickContentPage,
      logger: options.logger,
      ...(options.runtimeThread && { firstThread: options.runtimeThread }),
    });
    this.#runtime.start();
  }

  /** Serves the channel at `socketPath` until it closes or `shutdown` is asked, then closes all. */
  async serve(socketPath: string): Promise<void> {
    this.#connection = await serveChannel(socketPath, this.#handlers());
    this.#options.logger.info("session host connected");
    const gaveUp = this.#shutdownAsked.promise.then(() => delay(CHANNEL_END_GRACE_MS));
    await Promise.race([this.#connection.closed, gaveUp]);
    await this.close();
  }

  /** Closes the runtime, the host's connection and Chromium; idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#closeAll();
    return this.#closing;
  }

  #handlers(): Record<string, HostHandler> {
    return {
      open: () => this.#open(),
      replay: (payload) => this.#replay(payload as ReplayRequest),
      exec: (payload) => this.#exec(payload as ExecRequest),
      "browser-command": (payload) => this.#browserCommand(payload as BrowserCommandRequest),
      shutdown: () => this.#shutdown(),
      storage: async () => (await this.#session("")).runtime.storageState(),
      "cdp-connect": (payload) => this.#cdpConnect(payload as CdpConnectRequest),
      "view-start": () => this.#viewStart(),
      "view-stop": () => this.#viewStop(),
      "view-input": async (payload) => (await this.#screencastOf()).input(payload as ViewInput),
    };
  }

  async #open(): Promise<OpenResult> {
    if (this.#closing) throw new Error("the session host is shutting down");
    this.#opening ??= this.#launch();
    const session = await this.#opening;
    const { chromiumMs, runtimeMs } = session;
    return { cdpEndpoint: session.chromium.wsEndpoint, chromiumMs, runtimeMs };
  }

  async #launch(): Promise<OpenSession> {
    const { logger } = this.#options;
    const started = performance.now();
    const runtime = this.#runtime;
    const { browserProcess, forwarder } = await this.#startBrowser().catch(async (err: unknown) => {
      this.#cdpEndpoint.reject(err);
      await runtime.close();
      throw err;
    });
    const chromiumMs = Math.round(performance.now() - started);
    void browserProcess.exited.then(() => this.#browserGone());
    const cdpEndpoint = browserProcess.wsEndpoint;
    this.#cdpEndpoint.resolve(cdpEndpoint);
    try {
      await runtime.warm();
    } catch (err) {
      await runtime.close();
      await browserProcess.close();
      forwarder?.close();
      throw err;
    }
    const ms = Math.round(performance.now() - started);
    logger.info({ ms, chromiumMs }, "session browser open");
    const { agentBrowser } = this.#options;
    const bash = agentBrowser
      ? new BashRuntime({ cdpEndpoint, agentBrowser, tmpDir: os.tmpdir(), logger })
      : undefined;
    const python = new PythonRuntime({
      python: this.#options.python ?? { problem: "this session host was started without Python" },
      node: runtime,
      cdpEndpoint,
      tmpDir: os.tmpdir(),
      logger,
    });
    // The wait for the runtime after the browser was up: what its head start did not cover.
    const runtimeMs = ms - chromiumMs;
    return { chromium: browserProcess, runtime, forwarder, bash, python, chromiumMs, runtimeMs };
  }

  async #startBrowser(): Promise<{
    browserProcess: CdpChromium;
    forwarder: ProxyForwarder | undefined;
  }> {
    const { proxySocket, chromePath } = this.#options;
    const forwarder = proxySocket ? await ProxyForwarder.start(proxySocket) : undefined;
    try {
      const browserProcess = await launchCdpChromium({
        executablePath: chromePath,
        extraArgs: [...SESSION_CHROMIUM_ARGS, ...proxyArgs(forwarder)],
        ownProcessGroup: false,
      });
      return { browserProcess, forwarder };
    } catch (err) {
      forwarder?.close();
      throw err;
    }
  }

  /** Without its browser the session is over: ending the channel makes `serve` close and exit. */
  #browserGone(): void {
    if (this.#closing) return;
    this.#options.logger.warn("the session's browser exited; the host exits");
    this.#connection?.close();
  }

  async #replay(request: ReplayRequest): Promise<ReplayResult> {
    const session = await this.#session("Replay failed: ");
    return session.runtime.replay(request);
  }

  /**
   * One DevTools connection from outside: joins the server's socket (in run/) to Chromium's CDP
   * port, which only this sandbox's loopback reaches. Answers once both ends are connected.
   */
  async #cdpConnect(request: CdpConnectRequest): Promise<Record<string, never>> {
    const session = await this.#session("");
    const { port } = new URL(session.chromium.wsEndpoint);
    const [browserSide, serverSide] = await Promise.all([
      connectTo({ host: "127.0.0.1", port: Number(port) }),
      connectTo({ path: request.socket }),
    ]);
    browserSide.pipe(serverSide).pipe(browserSide);
    for (const [a, b] of [
      [browserSide, serverSide],
      [serverSide, browserSide],
    ] as const) {
      a.on("close", () => b.destroy());
      a.on("error", () => a.destroy());
    }
    return {};
  }

  /** Live view: the content tab's screencast, each frame sent to the server as an event. */
  async #viewStart(): Promise<Record<string, never>> {
    await (await this.#screencastOf()).start();
    return {};
  }

  async #viewStop(): Promise<Record<string, never>> {
    await this.#screencast?.stop();
    this.#screencast = undefined;
    return {};
  }

  async #screencastOf(): Promise<Screencast> {
    const session = await this.#session("");
    this.#screencast ??= new Screencast(new URL(session.chromium.wsEndpoint).host, (frame) =>
      this.#connection?.emit("frame", frame),
    );
    return this.#screencast;
  }

  async #exec(request: ExecRequest): Promise<ExecResult> {
    const session = await this.#session("");
    const options = { timeoutMs: request.timeoutMs };
    if (request.language === "bash" && session.bash) return session.bash.run(request.code, options);
    let result: ExecResult;
    if (request.language === "node") result = await session.runtime.runBody(request.code, options);
    else if (request.language === "python")
      result = await session.python.run(request.code, options);
    else throw new Error(`language ${request.language} is not supported by this session host`);
    // Code that ran past its timeout may have left a tab stuck, which agent-browser cannot pass.
    if (result.killed) session.bash?.sweepBeforeNextCall();
    return result;
  }

  async #browserCommand(request: BrowserCommandRequest): Promise<ExecResult> {
    const session = await this.#session("");
    if (!session.bash) throw new Error("agent-browser is not available in this session host");
    return session.bash.command(request.args, { timeoutMs: request.timeoutMs });
  }

  async #session(prefix: string): Promise<OpenSession> {
    if (!this.#opening || this.#closing) {
      throw new Error(`${prefix}the session's browser is not open (send 'open' first)`);
    }
    return this.#opening;
  }

  /** Answers first; the channel ends on the next turn, which makes `serve` return. */
  async #shutdown(): Promise<Record<string, never>> {
    await this.close();
    setImmediate(() => {
      this.#connection?.close();
      this.#shutdownAsked.resolve();
    });
    return {};
  }

  async #closeAll(): Promise<void> {
    const session = await this.#opening?.catch(() => undefined);
    if (!session) return this.#runtime.close();
    session.python.close();
    await settleWithin(session.runtime.close(), CLOSE_STEP_MS);
    await session.chromium.close();
    session.forwarder?.close();
    this.#options.logger.info("session browser closed");
  }
}

function connectTo(target: net.NetConnectOpts): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(target);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/**
 * Everything through the proxy, loopback included: Chromium otherwise connects to loopback
 * directly, and inside the sandbox that would reach the forwarder and the CDP port.
 */
function proxyArgs(forwarder: ProxyForwarder | undefined): string[] {
  if (!forwarder) return [];
  return [`--proxy-server=${forwarder.url}`, "--proxy-bypass-list=<-loopback>"];
}

interface HostArgs {
  socket: string;
  chrome: string;
  proxySocket: string | undefined;
  agentBrowser: string | undefined;
  python: { path: string } | { problem: string } | undefined;
  logLevel: string;
}

const USAGE =
  "usage: session-host.ts --socket <path> --chrome <path> [--proxy-socket <path>] [--agent-browser <path>] [--python <path> | --python-missing <reason>] [--log-level <level>]";

function parseHostArgs(argv: string[]): HostArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      socket: { type: "string" },
      chrome: { type: "string" },
      "proxy-socket": { type: "string" },
      "agent-browser": { type: "string" },
      python: { type: "string" },
      "python-missing": { type: "string" },
      "log-level": { type: "string", default: "info" },
    },
  });
  if (!values.socket || !values.chrome) throw new Error(USAGE);
  return {
    socket: values.socket,
    chrome: values.chrome,
    proxySocket: values["proxy-socket"],
    agentBrowser: values["agent-browser"],
    python: pythonArg(values.python, values["python-missing"]),
    logLevel: values["log-level"],
  };
}

function pythonArg(python: string | undefined, missing: string | undefined): HostArgs["python"] {
  if (python) return { path: python };
  return missing ? { problem: missing } : undefined;
}

/**
 * Runs the host as a program, on `argv`; exits so that no stray handle outlives the session.
 * `runtimeThread` is the node runtime's worker if the caller started it (session-host-main.ts).
 */
export async function runSessionHost(argv: string[], runtimeThread?: WorkerThread): Promise<void> {
  const args = parseHostArgs(argv);
  const logger = createHostLogger(args.logLevel);
  const host = new SessionHost({
    chromePath: args.chrome,
    proxySocket: args.proxySocket,
    agentBrowser: args.agentBrowser,
    ...(args.python ? { python: args.python } : {}),
    runtimeThread,
    logger,
  });
  process.once("SIGTERM", () => void host.close().then(() => process.exit(0)));
  trimHeapOnceIdle({ onTrimmed: (ms) => logger.debug({ ms }, "session host heap trimmed") });
  await host.serve(args.socket);
  process.exit(0);
}

if (import.meta.main) await runSessionHost(process.argv.slice(2));
