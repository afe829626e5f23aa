// Interact sessions end to end (`POST /v2/scrape/{id}/interact` on a real server, SANDBOX auto),
// each figure against raw playwright-core doing the same work in this process, in the same run.
import { aloneWithSite } from "./alone.ts";
import type { Browser } from "playwright-core";
import { launchChromium } from "../src/browser/chromium.ts";
import { createLogger } from "../src/log.ts";
import { CHROME_PATH, hermeticArgs } from "../test/fixtures/site/test-browser.ts";
import type { TestSite } from "../test/fixtures/site/test-site.ts";
import { postJson, startSkiff } from "../test/helpers/skiff-harness.ts";
import {
  hostPids,
  settledSessionMemory,
  waitForWarmPool,
  type SessionMemory,
} from "./session-processes.ts";
import { fmt, latency, timeInterleaved, type Latency } from "./stats.ts";

export interface InteractBench {
  /** First interact call on a fresh scrape (warm pool) against a fresh context + goto + title. */
  firstCall: { samples: number; skiff: Latency; raw: Latency; diffP50: number };
  /** `await page.title()` on a live session against the same call on an open page in process. */
  roundTrip: {
    samples: number;
    skiff: Latency;
    inProcess: Latency;
    /** A GET of the liveness route of the same server: HTTP and nothing else. */
    bare: Latency;
    overheadP50: number;
  };
  /** PSS of one idle session's processes (the host's sandbox and everything under it). */
  memory: SessionMemory;
}

const FIRST_CALL_SAMPLES = 10;
const ROUND_TRIP_SAMPLES = 100;
const WARMUP = 5;
const CODE = "await page.title()";

interface InteractResult {
  success: boolean;
  result?: string;
  error?: string;
}

/** The reply's body; benchmarks check `success` themselves. */
export async function post<T>(url: string, body: unknown): Promise<T> {
  return (await postJson<T>(url, body)).body;
}

/** A fresh scrape of `pageUrl` (never the cache); its scrape id. */
export async function scrape(base: string, pageUrl: string): Promise<string> {
  const body = await post<{ success?: boolean; data?: { metadata?: { scrapeId?: string } } }>(
    `${base}/v2/scrape`,
    { url: pageUrl, formats: ["markdown"], maxAge: 0 },
  );
  const id = body.data?.metadata?.scrapeId;
  if (!body.success || !id) throw new Error(`scrape failed: ${JSON.stringify(body)}`);
  return id;
}

/** One `await page.title()` call on the session of scrape `id`. */
export const interact = (base: string, id: string): Promise<InteractResult> =>
  post<InteractResult>(`${base}/v2/scrape/${id}/interact`, { code: CODE });

export async function interactOk(base: string, id: string, title: string): Promise<void> {
  const r = await interact(base, id);
  if (!r.success || r.result !== title) throw new Error(`interact failed: ${JSON.stringify(r)}`);
}

export async function stop(base: string, id: string): Promise<void> {
  const res = await fetch(`${base}/v2/scrape/${id}/interact`, { method: "DELETE" });
  const body = (await res.json()) as { success?: boolean };
  if (!body.success) throw new Error(`DELETE failed: ${res.status} ${JSON.stringify(body)}`);
}

// ---- the baseline: raw playwright-core in this process ----

export async function rawBrowser(site: TestSite): Promise<Browser> {
  return launchChromium({
    executablePath: CHROME_PATH,
    logger: createLogger("silent"),
    extraArgs: hermeticArgs(site),
  });
}

/** Fresh context + page + goto(domcontentloaded) + title; the context's close is not timed. */
export async function rawFirstCall(browser: Browser, pageUrl: string): Promise<number> {
  const t0 = performance.now();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(pageUrl, { waitUntil: "domcontentloaded" });
  await page.title();
  const ms = performance.now() - t0;
  await context.close();
  return ms;
}

// ---- the measurements ----

async function benchFirstCallsAndRoundTrip(
  site: TestSite,
  browser: Browser,
): Promise<Pick<InteractBench, "firstCall" | "roundTrip" | "memory">> {
  const pageUrl = `${site.url}/article`;
  const server = await startSkiff({ SANDBOX: "auto", SESSION_WARM_POOL: "1" });
  try {
    const title = await browser.newPage().then(async (p) => {
      await p.goto(pageUrl);
      const t = await p.title();
      await p.close();
      return t;
    });
    // Warm-up: the scrape pool, the route, and one whole session.
    await waitForWarmPool(server);
    for (let i = 0; i < 2; i++) await scrape(server.url, pageUrl);
    {
      const id = await scrape(server.url, pageUrl);
      await interactOk(server.url, id, title);
      await stop(server.url, id);
    }

    // 1. First calls, each with the warm pool full, interleaved with the raw baseline.
    const skiffFirst: number[] = [];
    const rawFirst: number[] = [];
    for (let i = 0; i < 2; i++) await rawFirstCall(browser, pageUrl);
    for (let i = 0; i < FIRST_CALL_SAMPLES; i++) {
      await waitForWarmPool(server);
      rawFirst.push(await rawFirstCall(browser, pageUrl));
      const id = await scrape(server.url, pageUrl);
      const t0 = performance.now();
      await interactOk(server.url, id, title);
      skiffFirst.push(performance.now() - t0);
      await stop(server.url, id);
    }

    // 2 and 3. One live session: subsequent calls, then its memory once idle.
    await waitForWarmPool(server);
    const before = new Set(hostPids(server).keys());
    const id = await scrape(server.url, pageUrl);
    await interactOk(server.url, id, title);
    try {
      const call = () => interactOk(server.url, id, title);
      const page = await browser.newPage();
      await page.goto(pageUrl, { waitUntil: "domcontentloaded" });
      const liveness = () => fetch(`${server.url}/v0/health/liveness`).then((r) => r.text());
      const calls = { skiff: call, inProcess: () => page.title(), bare: liveness };
      await timeInterleaved(WARMUP, calls);
      const times = await timeInterleaved(ROUND_TRIP_SAMPLES, calls);
      await page.close();

      // The session took the host that was warm before its first call.
      const sessionHost = [...hostPids(server)].find(([dir]) => before.has(dir));
      if (!sessionHost) throw new Error("could not find the session's host directory");
      await waitForWarmPool(server, 1); // the refill's launch is over: the session is idle
      const memory = await settledSessionMemory(sessionHost[1]);

      const first = { skiff: latency(skiffFirst), raw: latency(rawFirst) };
      const rt = {
        skiff: latency(times.skiff),
        inProcess: latency(times.inProcess),
        bare: latency(times.bare),
      };
      return {
        firstCall: {
          samples: FIRST_CALL_SAMPLES,
          ...first,
          diffP50: first.skiff.p50 - first.raw.p50,
        },
        roundTrip: {
          samples: ROUND_TRIP_SAMPLES,
          ...rt,
          overheadP50: rt.skiff.p50 - rt.inProcess.p50,
        },
        memory,
      };
    } finally {
      await stop(server.url, id);
    }
  } finally {
    await server.close();
  }
}

export async function benchInteract(site: TestSite): Promise<InteractBench> {
  const browser = await rawBrowser(site);
  try {
    return await benchFirstCallsAndRoundTrip(site, browser);
  } finally {
    await browser.close();
  }
}

/** The interact section of `./skiff bench`. */
export function printInteract(b: InteractBench): void {
  const verdict = (ok: boolean) => (ok ? "pass" : "MISS");
  const row = (name: string, l: Latency) =>
    console.log(
      `  ${name.padEnd(34)} p50 ${fmt(l.p50).padStart(6)} ms   p95 ${fmt(l.p95).padStart(6)} ms`,
    );
  console.log(
    `interact, first call after a scrape of /article, warm pool 1, ${b.firstCall.samples} samples`,
  );
  row("skiff first interact (page.title)", b.firstCall.skiff);
  row("raw playwright, context+goto+title", b.firstCall.raw);
  console.log(
    `  difference p50                     ${fmt(b.firstCall.diffP50)} ms   [<= 300 ms] ${verdict(b.firstCall.diffP50 <= 300)}\n`,
  );
  console.log(
    `interact, \`await page.title()\` on a live session, ${b.roundTrip.samples} calls each`,
  );
  row("through interact (HTTP)", b.roundTrip.skiff);
  row("in process", b.roundTrip.inProcess);
  row("bare HTTP GET, same server", b.roundTrip.bare);
  const perBare = b.roundTrip.overheadP50 / b.roundTrip.bare.p50;
  console.log(
    `  overhead p50                       ${fmt(b.roundTrip.overheadP50, 2)} ms   [<= 5 ms] ${verdict(b.roundTrip.overheadP50 <= 5)}`,
  );
  console.log(
    `  overhead / bare round trip p50     ${fmt(perBare, 2)}   [<= 3] ${verdict(perBare <= 3)}\n`,
  );
  const settled = fmt((b.memory.settledAfterMs ?? 0) / 1000);
  console.log(
    `interact, one idle session: PSS of its ${b.memory.processes} processes (settled after ${settled} s)`,
  );
  for (const p of b.memory.byName) {
    console.log(
      `  ${`${p.name} x${p.count}`.padEnd(42)} ${fmt(p.mb).padStart(6)} MB   (anon ${fmt(p.anonMB)}, file+shmem ${fmt(p.fileMB)})`,
    );
  }
  console.log(
    `  total                                      ${fmt(b.memory.totalMB).padStart(6)} MB   [<= 150 MB] ${verdict(b.memory.totalMB <= 150)}\n`,
  );
}

if (import.meta.main) {
  await aloneWithSite(async (site) => {
    const t0 = performance.now();
    printInteract(await benchInteract(site));
    console.log(`\n  (interact section took ${fmt((performance.now() - t0) / 1000)} s)`);
  });
}
