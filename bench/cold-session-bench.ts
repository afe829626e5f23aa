// One cold session (no warm host): the first interact call after a scrape, against raw
// playwright-core launching the same Chromium with the same flags, then a context, goto and title.
// The server's own account of each start (its "session host started" log line) breaks it down.
import { aloneWithSite } from "./alone.ts";
import type { TestSite } from "../test/fixtures/site/test-site.ts";
import { recordLog } from "../test/helpers/log-recorder.ts";
import { startSkiff } from "../test/helpers/skiff-harness.ts";
import { interactOk, rawBrowser, rawFirstCall, scrape, stop } from "./interact-bench.ts";
import { fmt, latency, percentile, type Latency } from "./stats.ts";

const SAMPLES = 5;

/** What the launcher logs of each start, in ms. */
interface StartParts {
  connectMs: number;
  openMs: number;
  chromiumMs: number;
  runtimeMs: number;
}

export interface ColdSession {
  samples: number;
  skiff: Latency;
  raw: Latency;
  /** p50 of each part of a start, as the server logged them. */
  parts: StartParts;
}

/** Launch, context, goto, title, each timed together; the browser's close is not. */
async function rawColdCall(site: TestSite, pageUrl: string): Promise<number> {
  const t0 = performance.now();
  const browser = await rawBrowser(site);
  const launched = performance.now() - t0;
  try {
    return launched + (await rawFirstCall(browser, pageUrl));
  } finally {
    await browser.close();
  }
}

export async function benchColdSession(site: TestSite): Promise<ColdSession> {
  const pageUrl = `${site.url}/article`;
  const { logger, lines } = recordLog<StartParts>();
  const server = await startSkiff({ SESSION_WARM_POOL: "0" }, logger);
  const skiff: number[] = [];
  const raw: number[] = [];
  try {
    const warmup = await scrape(server.url, pageUrl);
    await interactOk(server.url, warmup, "Skiff Test Article");
    await stop(server.url, warmup);
    await rawColdCall(site, pageUrl);
    lines.length = 0;
    for (let i = 0; i < SAMPLES; i++) {
      raw.push(await rawColdCall(site, pageUrl));
      const id = await scrape(server.url, pageUrl);
      const t0 = performance.now();
      await interactOk(server.url, id, "Skiff Test Article");
      skiff.push(performance.now() - t0);
      await stop(server.url, id);
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
    return { samples: SAMPLES, skiff: latency(skiff), raw: latency(raw), parts };
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
  console.log(`    replay, the call, HTTP (the rest)     ${fmt(rest, 0).padStart(5)} ms\n`);
}

if (import.meta.main)
  await aloneWithSite(async (site) => printColdSession(await benchColdSession(site)));
