// End-to-end /v2/scrape against raw playwright-core doing the same work in one process.
import { htmlToMarkdown } from "mdream";
import { loadConfig } from "../src/config.ts";
import { launchChromium } from "../src/browser/chromium.ts";
import { createLogger } from "../src/log.ts";
import { collect, latency, timeEach, type Latency } from "./stats.ts";
import { startSkiff } from "../test/helpers/skiff-harness.ts";

export interface ScrapeBench {
  samples: number;
  /** Back to back: every scrape also pays for the next warm context. */
  tight: { skiff: Latency; rawReusedPage: Latency; rawFreshContext: Latency };
  /** With PACE_MS between requests, on both sides: warm contexts are ready, as with real traffic. */
  paced: { skiff: Latency; rawReusedPage: Latency };
  concurrentClients: number;
  scrapesPerSecond: number;
}

/** The pause between paced requests, the same for Skiff and the baseline. */
export const PACE_MS = 100;

const pause = () => new Promise((resolve) => setTimeout(resolve, PACE_MS));

async function scrapeOnce(base: string, pageUrl: string): Promise<void> {
  const res = await fetch(`${base}/v2/scrape`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    // maxAge 0: every scrape goes to the browser, never to the cache.
    body: JSON.stringify({ url: pageUrl, formats: ["markdown"], maxAge: 0 }),
  });
  const body = (await res.json()) as { success: boolean; data?: { markdown?: string } };
  if (!body.success || !body.data?.markdown) throw new Error(`scrape failed: ${res.status}`);
}

/** Raw playwright-core in this process: goto + content + the same converter, nothing else. */
async function rawPlaywright(pageUrl: string, n: number) {
  const config = loadConfig({ LOG_LEVEL: "silent" });
  const browser = await launchChromium({
    executablePath: config.CHROME_PATH,
    logger: createLogger("silent"),
  });
  try {
    const page = await browser.newPage();
    const reused = async () => {
      await page.goto(pageUrl, { waitUntil: "load" });
      htmlToMarkdown(await page.content());
    };
    const fresh = async () => {
      const context = await browser.newContext();
      const p = await context.newPage();
      await p.goto(pageUrl, { waitUntil: "load" });
      htmlToMarkdown(await p.content());
      await context.close();
    };
    await timeEach(5, reused);
    return {
      reused: await timeEach(n, reused),
      fresh: await timeEach(n, fresh),
      pacedReused: await collect(n, async () => {
        await pause();
        const t0 = performance.now();
        await reused();
        return performance.now() - t0;
      }),
    };
  } finally {
    await browser.close();
  }
}

async function throughput(base: string, pageUrl: string, clients: number, total: number) {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next++ < total) await scrapeOnce(base, pageUrl);
  };
  await Promise.all(Array.from({ length: clients }, worker));
  return total / ((performance.now() - t0) / 1000);
}

export async function benchScrape(pageUrl: string, n = 60): Promise<ScrapeBench> {
  const raw = await rawPlaywright(pageUrl, n);
  const server = await startSkiff({ LOG_LEVEL: "silent" });
  try {
    await timeEach(5, () => scrapeOnce(server.url, pageUrl));
    const tight = await timeEach(n, () => scrapeOnce(server.url, pageUrl));
    const paced = await collect(n, async () => {
      await pause();
      const t0 = performance.now();
      await scrapeOnce(server.url, pageUrl);
      return performance.now() - t0;
    });
    const scrapesPerSecond = await throughput(server.url, pageUrl, 8, 160);
    return {
      samples: n,
      tight: {
        skiff: latency(tight),
        rawReusedPage: latency(raw.reused),
        rawFreshContext: latency(raw.fresh),
      },
      paced: { skiff: latency(paced), rawReusedPage: latency(raw.pacedReused) },
      concurrentClients: 8,
      scrapesPerSecond,
    };
  } finally {
    await server.close();
  }
}
