// Twenty sessions opened at once (twenty first interact calls sent together), against raw
// playwright-core opening twenty Chromiums (same binary) with a context, goto and title each,
// all at once in this process. Two bursts: the first after an idle start (a warm pool of one),
// the next once the pool has grown from the first, as it does between an agent platform's bursts.
// And raw's burst once more with the least that any session host adds beside each browser (a
// sandboxed Node with a worker thread, nothing loaded): how near the goal a host can come at all.
import { aloneWithSite } from "./alone.ts";
import { createLogger } from "../src/log.ts";
import { HOST_MALLOC_ENV, HOST_NODE_FLAGS } from "../src/sandbox/host-launcher.ts";
import {
  createSessionDir,
  detectSandboxMode,
  launchSandboxed,
  type SandboxMode,
} from "../src/sandbox/sandbox-launcher.ts";
import type { TestSite } from "../test/fixtures/site/test-site.ts";
import { startSkiff, type RunningSkiff } from "../test/helpers/skiff-harness.ts";
import { interact, rawBrowser, rawFirstCall, scrape, stop } from "./interact-bench.ts";
import { waitForWarmPool } from "./session-processes.ts";
import { fmt, percentile } from "./stats.ts";

const SESSIONS = 20;

export interface Burst {
  successes: number;
  wallMs: number;
  p50: number;
  p95: number;
  errors: string[];
}

export interface BurstBench {
  sessions: number;
  /** Raw playwright's wall time, measured before and after Skiff's bursts. */
  rawMs: [number, number];
  /**
   * Raw playwright's burst again, with a sandboxed Node beside each browser that starts one
   * empty worker thread and exits: what any session host adds at the least, before Playwright.
   */
  floorMs: number;
  /** First calls with a warm pool of one: nineteen hosts launch inside the burst. */
  first: Burst;
  /** One more call on each of the first burst's sessions, all at once. */
  calls: Burst;
  /** First calls once the pool has grown from the first burst. */
  next: Burst;
}

/**
 * The least a session host can be while DESIGN.md's process model holds: a Node in the session's
 * sandbox (the one process the server talks to) with a thread apart from it for the user's code
 * (killed on a timeout while the host and the browser live on). Started, its worker answers once,
 * and it exits.
 */
const FLOOR_SCRIPT = `const { Worker } = require("node:worker_threads");
const worker = new Worker("require('node:worker_threads').parentPort.postMessage(1)", { eval: true });
worker.once("message", () => worker.terminate());`;

async function sandboxedFloor(mode: SandboxMode): Promise<void> {
  const proc = launchSandboxed({
    command: process.execPath,
    args: [...HOST_NODE_FLAGS, "-e", FLOOR_SCRIPT],
    mode,
    env: HOST_MALLOC_ENV,
    workDir: await createSessionDir(),
    logger: createLogger("silent"),
  });
  const exit = await proc.exited;
  if (exit.code !== 0) throw new Error(`the sandboxed Node exited ${JSON.stringify(exit)}`);
}

/**
 * Launch, context, goto and title for `n` browsers at once; the browsers' close is not timed.
 * `beside`, when given, runs once beside each browser's launch and is waited for too.
 */
async function rawBurst(
  site: TestSite,
  n: number,
  beside: () => Promise<void> = async () => {},
): Promise<number> {
  const pageUrl = `${site.url}/article`;
  const t0 = performance.now();
  const opened = await Promise.allSettled(
    Array.from({ length: n }, async () => {
      const [browser] = await Promise.all([rawBrowser(site), beside()]);
      await rawFirstCall(browser, pageUrl);
      return browser;
    }),
  );
  const wallMs = performance.now() - t0;
  await Promise.all(opened.flatMap((o) => (o.status === "fulfilled" ? [o.value.close()] : [])));
  const failed = opened.find((o) => o.status === "rejected");
  if (failed) throw new Error(`raw burst failed: ${String(failed.reason)}`);
  return wallMs;
}

/** `ids.length` interact calls at once, one per scrape id. */
async function callAll(base: string, ids: string[]): Promise<Burst> {
  const errors: string[] = [];
  const t0 = performance.now();
  const calls = await Promise.all(
    ids.map(async (id) => {
      const started = performance.now();
      const body = await interact(base, id).catch((err: unknown) => ({
        success: false,
        error: String(err),
      }));
      if (!body.success) errors.push(body.error ?? "no error message");
      return { ok: body.success, ms: performance.now() - started };
    }),
  );
  const all = calls.map((c) => c.ms);
  return {
    successes: calls.filter((c) => c.ok).length,
    wallMs: performance.now() - t0,
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    errors,
  };
}

async function scrapes(server: RunningSkiff, site: TestSite): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < SESSIONS; i++) ids.push(await scrape(server.url, `${site.url}/article`));
  return ids;
}

export async function benchBurst(site: TestSite): Promise<BurstBench> {
  const rawBefore = await rawBurst(site, SESSIONS);
  const mode = await detectSandboxMode("auto");
  const floorMs = await rawBurst(site, SESSIONS, () => sandboxedFloor(mode));
  const skiff = await skiffBursts(site);
  const rawMs: [number, number] = [rawBefore, await rawBurst(site, SESSIONS)];
  return { sessions: SESSIONS, rawMs, floorMs, ...skiff };
}

async function skiffBursts(site: TestSite): Promise<Pick<BurstBench, "first" | "calls" | "next">> {
  const server = await startSkiff({
    SANDBOX: "auto",
    SESSION_WARM_POOL: "1",
    SESSION_WARM_POOL_MAX: String(SESSIONS),
    MAX_CONCURRENT_SESSIONS: String(SESSIONS),
  });
  try {
    await waitForWarmPool(server);
    const firstIds = await scrapes(server, site);
    const first = await callAll(server.url, firstIds);
    const calls = await callAll(server.url, firstIds);
    await Promise.allSettled(firstIds.map((id) => stop(server.url, id)));
    await waitForWarmPool(server, 0, SESSIONS);
    const nextIds = await scrapes(server, site);
    const next = await callAll(server.url, nextIds);
    await Promise.allSettled(nextIds.map((id) => stop(server.url, id)));
    return { first, calls, next };
  } finally {
    await server.close();
  }
}

export function printBurst(b: BurstBench): void {
  const raw = (b.rawMs[0] + b.rawMs[1]) / 2;
  const verdict = (ok: boolean) => (ok ? "pass" : "MISS");
  const line = (what: string, r: Burst, goal = "") =>
    console.log(
      `  ${what.padEnd(34)} ${r.successes}/${b.sessions} ok  wall ${fmt(r.wallMs).padStart(7)} ms  p50 ${fmt(r.p50).padStart(7)}  p95 ${fmt(r.p95).padStart(7)}${goal}`,
    );
  console.log(`interact, ${b.sessions} sessions opened at once (first calls sent together)`);
  console.log(
    `  raw playwright, ${b.sessions} launches+context+goto+title at once: wall ${fmt(b.rawMs[0])} ms before, ${fmt(b.rawMs[1])} ms after (mean ${fmt(raw)})`,
  );
  console.log(
    `  the same, a sandboxed Node + worker thread beside each (a host's least): wall ${fmt(b.floorMs)} ms, ${fmt(b.floorMs / raw, 2)}x raw`,
  );
  line("first burst (warm pool of 1)", b.first, `   ${fmt(b.first.wallMs / raw, 2)}x raw`);
  const nextOk = b.next.successes === b.sessions && b.next.wallMs <= 1.3 * raw;
  const ratio = `   ${fmt(b.next.wallMs / raw, 2)}x raw [all, <= 1.3] ${verdict(nextOk)}`;
  line("next burst (pool grown by the first)", b.next, ratio);
  const callsOk = b.calls.successes === b.sessions && b.calls.p95 <= 2000;
  line("one call on each, at once", b.calls, `   [all, p95 <= 2000 ms] ${verdict(callsOk)}`);
  for (const e of new Set([...b.first.errors, ...b.calls.errors, ...b.next.errors])) {
    console.log(`  error: ${e}`);
  }
  console.log("");
}

if (import.meta.main) await aloneWithSite(async (site) => printBurst(await benchBurst(site)));
