// One cold session (no warm host): the first interact call after a scrape, against raw
// playwright-core launching the same Chromium with the same flags, then a context, goto and title.
import type { TestSite } from "../test/fixtures/site/test-site.ts";
import { startSkiff } from "../test/helpers/skiff-harness.ts";
import { interactOk, rawBrowser, rawFirstCall, scrape, stop } from "./interact-bench.ts";
import { fmt, latency, type Latency } from "./stats.ts";

const SAMPLES = 5;

export interface ColdSession {
  samples: number;
  skiff: Latency;
  raw: Latency;
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
  const server = await startSkiff({ SESSION_WARM_POOL: "0" });
  const skiff: number[] = [];
  const raw: number[] = [];
  try {
    const warmup = await scrape(server.url, pageUrl);
    await interactOk(server.url, warmup, "Skiff Test Article");
    await stop(server.url, warmup);
    await rawColdCall(site, pageUrl);
    for (let i = 0; i < SAMPLES; i++) {
      raw.push(await rawColdCall(site, pageUrl));
      const id = await scrape(server.url, pageUrl);
      const t0 = performance.now();
      await interactOk(server.url, id, "Skiff Test Article");
      skiff.push(performance.now() - t0);
      await stop(server.url, id);
    }
    return { samples: SAMPLES, skiff: latency(skiff), raw: latency(raw) };
  } finally {
    await server.close();
  }
}

export function printColdSession(b: ColdSession): void {
  const ratio = b.skiff.p50 / b.raw.p50;
  console.log(`interact, one cold session (SESSION_WARM_POOL=0), ${b.samples} samples`);
  console.log(`  skiff first call (page.title)      p50 ${fmt(b.skiff.p50).padStart(7)} ms`);
  console.log(`  raw launch+context+goto+title      p50 ${fmt(b.raw.p50).padStart(7)} ms`);
  console.log(
    `  ratio p50                          ${fmt(ratio, 2)}   [<= 1.5] ${ratio <= 1.5 ? "pass" : "MISS"}`,
  );
  console.log("  (the start's parts are logged at info as 'session host started')\n");
}
