// One cold session (no warm host): the first interact call after a scrape, against raw
// playwright-core launching the same Chromium with the same flags, then a context, goto and title.
// The server's own account of each start (its "session host started" log line) breaks it down,
// and /proc what each side's start cost of the CPU: on two cores a burst of starts is as fast as
// the CPU each start takes.
import { setTimeout as delay } from "node:timers/promises";
import { aloneWithSite } from "./alone.ts";
import type { TestSite } from "../test/fixtures/site/test-site.ts";
import { recordLog } from "../test/helpers/log-recorder.ts";
import { startSkiff, type RunningSkiff } from "../test/helpers/skiff-harness.ts";
import { interactOk, rawBrowser, rawFirstCall, scrape, stop } from "./interact-bench.ts";
import { childPids, hostPids, treeCpu, type TreeCpu } from "./session-processes.ts";
import { fmt, latency, percentile, type Latency } from "./stats.ts";

const SAMPLES = 5;
/** After the server looks quiet, for what a stop leaves behind (a browser's exit, its files). */
const QUIET_MS = 250;

/** What the launcher logs of each start, in ms. */
interface StartParts {
  connectMs: number;
  openMs: number;
  chromiumMs: number;
  runtimeMs: number;
}

/** CPU time one start took, in ms, by where it went (p50 of each over the samples). */
export interface StartCpu {
  /** The session host's Node processes (none for raw). */
  host: number;
  /** Their threads by name: the node runtime's worker, the main thread, V8's helpers… */
  hostThreads: Record<string, number>;
  /** The rest of the session's sandbox (or raw's browser): Chromium's processes. */
  browser: number;
  /** This process during the call: the server (or raw's Playwright) and the test site. */
  thisProcess: number;
  total: number;
}

export interface ColdSession {
  samples: number;
  skiff: Latency;
  raw: Latency;
  /** p50 of each part of a start, as the server logged them. */
  parts: StartParts;
  cpu: { skiff: StartCpu; raw: StartCpu };
}

/** One start's reading: its time and its CPU. */
interface Start {
  ms: number;
  tree: TreeCpu;
  thisProcessMs: number;
}

const processCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Launch, context, goto, title, each timed together; the browser's close is not. Its CPU is read
 * before the close, from the processes this one has launched since.
 */
async function rawColdCall(site: TestSite, pageUrl: string): Promise<Start> {
  const before = childPids();
  const cpu0 = processCpuMs();
  const t0 = performance.now();
  const browser = await rawBrowser(site);
  const launched = performance.now() - t0;
  try {
    const ms = launched + (await rawFirstCall(browser, pageUrl));
    const thisProcessMs = processCpuMs() - cpu0;
    const launchedPids = [...childPids()].filter((pid) => !before.has(pid));
    if (launchedPids.length !== 1) throw new Error("could not tell raw playwright's browser");
    return { ms, tree: treeCpu(launchedPids[0]!), thisProcessMs };
  } finally {
    await browser.close();
  }
}

/** The first call on a new scrape; with no warm pool, its host is the one launched for it. */
async function skiffColdCall(server: RunningSkiff, pageUrl: string): Promise<Start> {
  const id = await scrape(server.url, pageUrl);
  const before = new Set(hostPids(server).values());
  const cpu0 = processCpuMs();
  const t0 = performance.now();
  await interactOk(server.url, id, "Skiff Test Article");
  const ms = performance.now() - t0;
  const thisProcessMs = processCpuMs() - cpu0;
  const hosts = [...hostPids(server).values()].filter((pid) => !before.has(pid));
  if (hosts.length !== 1)
    throw new Error(`could not tell the session's host (${hosts.length} new)`);
  const tree = treeCpu(hosts[0]!);
  await stop(server.url, id);
  return { ms, tree, thisProcessMs };
}

/**
 * Waits until nothing of the last start runs on: the stopped session's host gone (a stop goes on
 * after the DELETE answers) and the scrape pool's warm contexts made again. Neither side is then
 * timed against the other's leftovers, whenever the server does that work.
 */
async function untilQuiet(server: RunningSkiff, warmContexts: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (hostPids(server).size > 0 || server.skiff.pool.stats.warmAvailable < warmContexts) {
    if (Date.now() > deadline) throw new Error("the server was still busy 30 s after a start");
    await delay(20);
  }
  await delay(QUIET_MS);
}

/** p50 of each figure over the starts. */
function startCpu(starts: Start[]): StartCpu {
  const p50 = (pick: (start: Start) => number) => percentile(starts.map(pick), 50);
  const threads = new Set(starts.flatMap((s) => [...s.tree.nodeThreads.keys()]));
  const hostThreads: Record<string, number> = {};
  for (const name of threads) hostThreads[name] = p50((s) => s.tree.nodeThreads.get(name) ?? 0);
  return {
    host: p50((s) => s.tree.nodeMs),
    hostThreads,
    browser: p50((s) => s.tree.totalMs - s.tree.nodeMs),
    thisProcess: p50((s) => s.thisProcessMs),
    total: p50((s) => s.tree.totalMs + s.thisProcessMs),
  };
}

export async function benchColdSession(site: TestSite): Promise<ColdSession> {
  const pageUrl = `${site.url}/article`;
  const { logger, lines } = recordLog<StartParts>();
  const server = await startSkiff({ SESSION_WARM_POOL: "0" }, logger);
  const skiff: Start[] = [];
  const raw: Start[] = [];
  const warmContexts = server.skiff.pool.stats.warmAvailable;
  const quiet = () => untilQuiet(server, warmContexts);
  try {
    await skiffColdCall(server, pageUrl);
    await rawColdCall(site, pageUrl);
    lines.length = 0;
    for (let i = 0; i < SAMPLES; i++) {
      await quiet();
      raw.push(await rawColdCall(site, pageUrl));
      await quiet();
      skiff.push(await skiffColdCall(server, pageUrl));
    }
    const starts = lines.filter((l) => l.msg === "session host started");
    const part = (name: keyof StartParts) =>
      percentile(
        starts.map((s) => s[name] ?? Number.NaN),
        50,
      );
    const parts = {
      connectMs: part("connectMs"),
      openMs: part("openMs"),
      chromiumMs: part("chromiumMs"),
      runtimeMs: part("runtimeMs"),
    };
    const ms = (starts: Start[]) => latency(starts.map((s) => s.ms));
    const cpu = { skiff: startCpu(skiff), raw: startCpu(raw) };
    return { samples: SAMPLES, skiff: ms(skiff), raw: ms(raw), parts, cpu };
  } finally {
    await server.close();
  }
}

export function printColdSession(b: ColdSession): void {
  const ratio = b.skiff.p50 / b.raw.p50;
  const { connectMs, openMs, chromiumMs, runtimeMs } = b.parts;
  console.log(`interact, one cold session (SESSION_WARM_POOL=0), ${b.samples} samples`);
  console.log(`  skiff first call (page.title)      p50 ${fmt(b.skiff.p50).padStart(7)} ms`);
  console.log(`  raw launch+context+goto+title      p50 ${fmt(b.raw.p50).padStart(7)} ms`);
  console.log(
    `  ratio p50                          ${fmt(ratio, 2)}   [<= 1.5] ${ratio <= 1.5 ? "pass" : "MISS"}`,
  );
  console.log("  where a start goes (p50 of each part, as the server logs it):");
  console.log(`    sandbox + host's Node to its socket   ${fmt(connectMs, 0).padStart(5)} ms`);
  console.log(`    Chromium's launch                     ${fmt(chromiumMs, 0).padStart(5)} ms`);
  console.log(`    then waiting for the node runtime     ${fmt(runtimeMs, 0).padStart(5)} ms`);
  const rest = b.skiff.p50 - connectMs - openMs;
  console.log(`    replay, the call, HTTP (the rest)     ${fmt(rest, 0).padStart(5)} ms`);
  printStartCpu(b.cpu);
}

/**
 * What a start costs of the CPU, each side's by where it went. Without its host's Node, a session
 * costs its Chromium and the server's part: what a start would cost with a host that cost nothing.
 */
function printStartCpu({ skiff, raw }: ColdSession["cpu"]): void {
  const threads = Object.entries(skiff.hostThreads)
    .filter(([, ms]) => Math.round(ms) > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => `${name} ${fmt(ms, 0)}`)
    .join(", ");
  const ms = (n: number) => fmt(n, 0).padStart(4);
  console.log("  CPU of a start, ms (p50 of each figure):");
  console.log(
    `    skiff ${ms(skiff.total)}: the host's Node ${fmt(skiff.host, 0)} (${threads}), Chromium ${fmt(skiff.browser, 0)}, server and site ${fmt(skiff.thisProcess, 0)}`,
  );
  console.log(
    `    raw   ${ms(raw.total)}: Chromium ${fmt(raw.browser, 0)}, playwright and site ${fmt(raw.thisProcess, 0)}`,
  );
  const withoutHost = skiff.total - skiff.host;
  console.log(
    `    ratio ${fmt(skiff.total / raw.total, 2)}; without the host's Node ${fmt(withoutHost / raw.total, 2)}\n`,
  );
}

if (import.meta.main)
  await aloneWithSite(async (site) => printColdSession(await benchColdSession(site)));
