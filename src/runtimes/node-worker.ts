// Worker thread entry: holds one Playwright connection to the session's browser and runs user
// code against it. The main thread terminates this thread to stop runaway code; the browser,
// being another process, survives that.
// First, before anything imports playwright-core: its bundles from the server's code cache.
import { bundleLoad } from "./playwright-preload.ts";
import { Console } from "node:console";
import { createRequire, isBuiltin } from "node:module";
import { inspect } from "node:util";
import vm from "node:vm";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import type { Browser, Page } from "playwright-core";
import { openCdpTransport } from "./cdp-transport.ts";
import { trimHeapOnceIdle } from "./idle-trim.ts";
import { serveDriver } from "./playwright-driver.ts";
import {
  IMPORT_BINDING,
  type ConnectMessage,
  type OutputStream,
  type ReplayMessage,
  type RunMessage,
  type StateMessage,
  type TaskMessage,
  type WorkerMessage,
  type WorkerSetup,
} from "./node-worker-messages.ts";

// Required, not imported: importing a CommonJS package makes Node's ES module loader read the
// core bundle (3.6 MB) and scan it for export names while linking this file, before the preload
// runs: ~40 ms of every session's start, measured.
const { chromium } = createRequire(import.meta.url)(
  "playwright-core",
) as typeof import("playwright-core");

const FILENAME = "interact.js";
const setup = workerData as WorkerSetup;
const port = parentPort;
let runId = 0;
const sent = { stdout: 0, stderr: 0 };

function send(message: WorkerMessage): void {
  port?.postMessage(message);
}

/** Output belongs to the run in progress; writes between runs (late timers) are dropped. */
function emit(stream: OutputStream, text: string): void {
  if (runId === 0 || sent[stream] > setup.outputCapBytes) return;
  sent[stream] += Buffer.byteLength(text);
  send({ type: "output", id: runId, stream, text });
}

function captureOutput(): void {
  for (const stream of ["stdout", "stderr"] as const) {
    process[stream].write = (chunk: string | Uint8Array) => {
      emit(stream, typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    };
  }
  globalThis.console = new Console({
    stdout: process.stdout,
    stderr: process.stderr,
    colorMode: false,
  });
  // A stray rejection or throw from a timer must not take the connection down with it.
  process.on("unhandledRejection", (err) => emit("stderr", `${describeError(err)}\n`));
  process.on("uncaughtException", (err) => emit("stderr", `${describeError(err)}\n`));
}

/** Node's own rendering of a throw, cut below the user's last frame. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return `Uncaught ${inspect(err)}`;
  const stack = err.stack ?? `${err.name}: ${err.message}`;
  const lines = stack.split("\n");
  const lastUserFrame = lines.findLastIndex((line) => line.includes(FILENAME));
  return lastUserFrame > 0 ? lines.slice(0, lastUserFrame + 1).join("\n") : stack;
}

/** A string as is, undefined as "", else JSON, else (circular, BigInt…) util.inspect. */
function describeResult(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  try {
    const json = JSON.stringify(value);
    if (typeof json === "string") return json;
  } catch {
    // Falls through to inspect, which renders what JSON cannot.
  }
  return inspect(value, { depth: 4 });
}

async function importBuiltin(specifier: unknown): Promise<unknown> {
  const name = String(specifier);
  if (!isBuiltin(name)) throw new Error(`import("${name}"): only Node built-in modules load here`);
  return (await import(name)) as unknown;
}

type PickPage = (browser: Browser) => Page | Promise<Page>;

async function defaultPickPage(browser: Browser): Promise<Page> {
  const context = browser.contexts()[0];
  if (!context) throw new Error("the browser has no context to run in");
  return context.pages()[0] ?? (await context.newPage());
}

function pickPageFunction(): PickPage {
  if (!setup.pickPageSource) return defaultPickPage;
  return vm.runInThisContext(`(${setup.pickPageSource})`) as PickPage;
}

type UserFunction = (page: Page, context: unknown, browser: Browser, im: unknown) => unknown;

function compile(body: string): UserFunction {
  // The inner block lets user code declare its own `page` or `browser`, shadowing ours.
  const source = `(async (page, context, browser, ${IMPORT_BINDING}) => { {\n${body}\n} })`;
  return vm.runInThisContext(source, { filename: FILENAME, lineOffset: -1 }) as UserFunction;
}

class Session {
  readonly #browser: Browser;
  readonly #pickPage = pickPageFunction();
  #page: Page | undefined;

  constructor(browser: Browser) {
    this.#browser = browser;
  }

  /** Picks the page again only when the one it had is gone (user code may close it). */
  async page(): Promise<Page> {
    if (!this.#page || this.#page.isClosed()) this.#page = await this.#pickPage(this.#browser);
    return this.#page;
  }

  async state(message: StateMessage): Promise<void> {
    try {
      const { exportStorageState } = await import("./replay.ts");
      const state = await exportStorageState(this.#browser);
      send({ type: "done", id: message.id, result: JSON.stringify(state) });
    } catch (err) {
      send({ type: "done", id: message.id, result: "", failure: (err as Error).message });
    }
  }

  /** The replay leaves one content tab; the next run picks it afresh. */
  async replay(message: ReplayMessage): Promise<void> {
    await replayOn(this.#browser, message);
    this.#page = undefined;
  }

  async run(message: RunMessage): Promise<void> {
    runId = message.id;
    sent.stdout = sent.stderr = 0;
    try {
      const page = await this.page();
      const value = await compile(message.body)(page, page.context(), this.#browser, importBuiltin);
      send({ type: "done", id: message.id, result: clip(describeResult(value)) });
    } catch (err) {
      send({ type: "done", id: message.id, result: "", failure: describeError(err) });
    } finally {
      runId = 0;
    }
  }
}

/**
 * Reproduces the scrape on the session's browser. The replay code (and the scrape's action runner
 * it uses) loads on first use, so a runtime that never replays never pays for it.
 */
async function replayOn(browser: Browser, message: ReplayMessage): Promise<void> {
  try {
    const { replayScrape } = await import("./replay.ts");
    const result = await replayScrape(browser, message.request, new AbortController().signal);
    send({ type: "done", id: message.id, result: JSON.stringify(result) });
  } catch (err) {
    send({ type: "done", id: message.id, result: "", failure: (err as Error).message });
  }
}

/** Enough of a huge result for the main thread to see it is over the cap. */
function clip(text: string): string {
  return text.length > setup.outputCapBytes ? text.slice(0, setup.outputCapBytes + 1) : text;
}

/** The first message; Playwright (imported above) has loaded while the browser was starting. */
function endpointMessage(): Promise<ConnectMessage> {
  return new Promise((resolve) => port?.once("message", resolve));
}

async function main(): Promise<void> {
  captureOutput();
  const { cdpEndpoint } = await endpointMessage();
  let browser: Browser;
  try {
    const transport = await openCdpTransport(cdpEndpoint, setup.connectTimeoutMs);
    browser = await chromium.connectOverCDP(transport, { timeout: setup.connectTimeoutMs });
  } catch (err) {
    send({ type: "fatal", message: `could not connect to the browser: ${String(err)}` });
    return;
  }
  // Without the browser this thread is useless; exiting makes the next call reconnect.
  browser.on("disconnected", () => process.exit(1));
  try {
    await serveDriver(setup.driverAddress);
  } catch (err) {
    send({ type: "fatal", message: `could not serve Playwright's driver: ${String(err)}` });
    return;
  }
  const session = new Session(browser);
  port?.on("message", (message: TaskMessage) => {
    if (message.type === "run") void session.run(message);
    else if (message.type === "state") void session.state(message);
    else void session.replay(message);
  });
  send({ type: "ready", bundles: bundleLoad });
  trimHeapOnceIdle();
}

// Imported from a main thread (to fill the compile cache, see compile-cache.ts) it does nothing.
if (!isMainThread) await main();
