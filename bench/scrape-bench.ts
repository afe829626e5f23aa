// End-to-end /v2/scrape against raw playwright-core doing the same work in one process.
import { htmlToMarkdown } from "mdream";
import { loadConfig } from "../src/config.ts";
import { launchChromium } from "../src/browser/chromium.ts";
import { createLogger } from "../src/log.ts";
import { collectInBlocks, latency, timeEach, type Latency } from "./stats.ts";
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

/** Samples in a row per side before the other side's turn (see collectInBlocks). */
export const BLOCK = 10;

/** How long one call of `fn` takes. */
const timed = (fn: () => Promise<void>) => async (): Promise<number> => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

/** The same, after PACE_MS of pause that is not timed. */
const paced = (fn: () => Promise<void>) => async (): Promise<number> => {
  await pause();
  return timed(fn)();
};

/** Raw playwright-core in this process: goto + content + the same converter, nothing else. */
async function rawPlaywright(pageUrl: string) {
  const config = loadConfig({ LOG_LEVEL: "silent" });
  const browser = await launchChromium({
    executablePath: config.CHROME_PATH,
    logger: createLogger("silent"),
  });
  const page = await browser.newPage();
  return {
    reused: async () => {
      await page.goto(pageUrl, { waitUntil: "load" });
      htmlToMarkdown(await page.content());
    },
    fresh: async () => {
      const context = await browser.newContext();
      const p = await context.newPage();
      await p.goto(pageUrl, { waitUntil: "load" });
      htmlToMarkdown(await p.content());
      await context.close();
    },
    close: () => browser.close(),
  };
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

/**
 * Skiff and raw Playwright take turns in blocks of BLOCK scrapes, so that both are timed in the
 * same minutes of the machine; the throughput after them is Skiff's alone.
 */
export async function benchScrape(pageUrl: string, n = 60): Promise<ScrapeBench> {
  const raw = await rawPlaywright(pageUrl);
  try {
    return await againstSkiff(pageUrl, n, raw);
  } finally {
    await raw.close();
  }
}

async function againstSkiff(
  pageUrl: string,
  n: number,
  raw: Awaited<ReturnType<typeof rawPlaywright>>,
): Promise<ScrapeBench> {
  const server = await startSkiff({ LOG_LEVEL: "silent" });
  try {
    const skiff = () => scrapeOnce(server.url, pageUrl);
    await timeEach(5, raw.reused);
    await timeEach(5, skiff);
    const tight = await collectInBlocks(n, BLOCK, {
      skiff: timed(skiff),
      rawReusedPage: timed(raw.reused),
      rawFreshContext: timed(raw.fresh),
    });
    const spaced = await collectInBlocks(n, BLOCK, {
      skiff: paced(skiff),
      rawReusedPage: paced(raw.reused),
    });
    const scrapesPerSecond = await throughput(server.url, pageUrl, 8, 160);
    return {
      samples: n,
      tight: {
        skiff: latency(tight.skiff),
        rawReusedPage: latency(tight.rawReusedPage),
        rawFreshContext: latency(tight.rawFreshContext),
      },
      paced: { skiff: latency(spaced.skiff), rawReusedPage: latency(spaced.rawReusedPage) },
      concurrentClients: 8,
      scrapesPerSecond,
    };
  } finally {
    await server.close();
  }
}
