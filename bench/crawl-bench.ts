// A crawl of the generated 200-page site (test/fixtures/crawl-site.ts) through Skiff, against
// Crawlee's PlaywrightCrawler and raw playwright-core loading the same pages with the same
// concurrency and converter, in the same run; map's latency; and the server's peak memory (RSS of
// this process, which runs it) while crawling. Each side crawls twice, in mirrored order (Skiff,
// Crawlee, raw, then raw, Crawlee, Skiff), and each figure is the mean of its two: a machine
// that speeds up or slows down over those minutes weighs on every side alike.
import { setTimeout as delay } from "node:timers/promises";
import { htmlToMarkdown } from "mdream";
import type { Browser } from "playwright-core";
import { launchChromium } from "../src/browser/chromium.ts";
import { createLogger } from "../src/log.ts";
import { CHROME_PATH } from "../test/fixtures/site/test-browser.ts";
import {
  ALL_PAGES,
  DISALLOWED,
  SITEMAP_ONLY,
  startCrawlSite,
  type CrawlSite,
} from "../test/fixtures/crawl-site.ts";
import { startSkiff } from "../test/helpers/skiff-harness.ts";
import { crawleeCrawl, type CrawleeRun } from "./crawlee-baseline.ts";
import { post } from "./interact-bench.ts";
import { fmt, latency, timeEach, type Latency } from "./stats.ts";

export interface CrawlBench {
  pages: number;
  concurrency: number;
  skiffSeconds: number;
  crawlee: CrawleeRun;
  rawSeconds: number;
  map: Latency;
  peakRssMB: number;
}

const CONCURRENCY = 4;
const MAP_SAMPLES = 20;

async function skiffCrawl(
  site: CrawlSite,
  base: string,
): Promise<{ seconds: number; pages: number }> {
  const started = performance.now();
  const { id } = await post<{ id: string }>(`${base}/v2/crawl`, {
    url: `${site.url}/`,
    limit: 1000,
    // maxAge 0: the second crawl loads every page again, as the first did, never from the cache.
    scrapeOptions: { formats: ["markdown"], timeout: 3000, maxAge: 0 },
  });
  for (;;) {
    const res = await fetch(`${base}/v2/crawl/${id}?limit=1`);
    const status = (await res.json()) as { status: string; completed: number };
    if (status.status !== "scraping") {
      return { seconds: (performance.now() - started) / 1000, pages: status.completed };
    }
    await delay(50);
  }
}

/**
 * The same pages, known up front, `CONCURRENCY` at a time in one context (as Skiff's crawl shares
 * one): a new page each, goto, content, markdown.
 */
async function rawCrawl(browser: Browser, site: CrawlSite, paths: string[]): Promise<number> {
  const queue = [...paths];
  const started = performance.now();
  const context = await browser.newContext();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
        const page = await context.newPage();
        await page.goto(`${site.url}${path}`, { waitUntil: "load" }).catch(() => undefined);
        htmlToMarkdown(await page.content());
        await page.close();
      }
    }),
  );
  await context.close();
  return (performance.now() - started) / 1000;
}

export async function benchCrawl(): Promise<CrawlBench> {
  const site = await startCrawlSite({ slowMs: 100 });
  const server = await startSkiff({ SCRAPE_CONCURRENCY: String(CONCURRENCY + 1) });
  let browser: Browser | undefined;
  const pages = ALL_PAGES.filter((p) => !DISALLOWED.includes(p));
  const skiff = () => skiffCrawl(site, server.url);
  const crawlee = () => crawleeCrawl(site, SITEMAP_ONLY, CONCURRENCY);
  const raw = async () => {
    browser ??= await launchChromium({
      executablePath: CHROME_PATH,
      logger: createLogger("silent"),
      extraArgs: ["--host-resolver-rules=MAP site.test 127.0.0.1, MAP other.test 127.0.0.1"],
    });
    return rawCrawl(browser, site, pages);
  };
  try {
    // The peak while the first crawl runs, before the baselines have used this process's memory.
    let peak = process.memoryUsage.rss();
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
    const skiff1 = await skiff().finally(() => clearInterval(sampler));
    const [crawlee1, raw1] = [await crawlee(), await raw()];
    const [raw2, crawlee2, skiff2] = [await raw(), await crawlee(), await skiff()];
    const map = await timeEach(MAP_SAMPLES, () =>
      post(`${server.url}/v2/map`, { url: `${site.url}/` }),
    );
    const mean = (a: number, b: number) => (a + b) / 2;
    const skiffSeconds = mean(skiff1.seconds, skiff2.seconds);
    const crawled = Math.min(skiff1.pages, skiff2.pages);
    return {
      pages: crawled,
      concurrency: CONCURRENCY,
      skiffSeconds,
      crawlee: {
        pages: Math.min(crawlee1.pages, crawlee2.pages),
        seconds: mean(crawlee1.seconds, crawlee2.seconds),
      },
      rawSeconds: mean(raw1, raw2) * (crawled / pages.length),
      map: latency(map),
      peakRssMB: peak / 1024 / 1024,
    };
  } finally {
    await browser?.close();
    await server.close();
    await site.close();
  }
}

export function printCrawl(b: CrawlBench): void {
  const rate = (seconds: number) => b.pages / seconds;
  const ratio = b.skiffSeconds / b.rawSeconds;
  const crawleeRate = b.crawlee.pages / b.crawlee.seconds;
  const overCrawlee = rate(b.skiffSeconds) / crawleeRate;
  console.log(
    `crawl of the generated site, ${b.pages} pages, ${b.concurrency} at a time, markdown, two crawls each (mean)`,
  );
  console.log(
    `  skiff /v2/crawl                    ${fmt(rate(b.skiffSeconds))} pages/s (${fmt(b.skiffSeconds)} s)`,
  );
  console.log(
    `  crawlee PlaywrightCrawler          ${fmt(crawleeRate)} pages/s (${b.crawlee.pages} pages in ${fmt(b.crawlee.seconds)} s)`,
  );
  console.log(
    `  raw playwright, same pages         ${fmt(rate(b.rawSeconds))} pages/s (${fmt(b.rawSeconds)} s)`,
  );
  console.log(
    `  rate skiff/crawlee                 ${fmt(overCrawlee, 2)}   [>= 1.2] ${overCrawlee >= 1.2 ? "pass" : "MISS"}`,
  );
  console.log(
    `  ratio of times skiff/raw           ${fmt(ratio, 2)}   [<= 1.2] ${ratio <= 1.2 ? "pass" : "MISS"}`,
  );
  console.log(
    `  server peak RSS while crawling     ${fmt(b.peakRssMB)} MB (this process; Chromium aside)`,
  );
  console.log(
    `/v2/map of the site                  p50 ${fmt(b.map.p50)} ms   p95 ${fmt(b.map.p95)} ms\n`,
  );
}

if (import.meta.main) printCrawl(await benchCrawl());
