// A crawl of the generated 200-page site (test/fixtures/crawl-site.ts) through Skiff, against
// Crawlee's PlaywrightCrawler and raw playwright-core loading the same pages with the same
// concurrency and converter, in the same run; map's latency; and the server's peak memory (RSS of
// this process, which runs it) while crawling.
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
    scrapeOptions: { formats: ["markdown"], timeout: 3000 },
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
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  try {
    const crawled = await skiffCrawl(site, server.url);
    clearInterval(sampler);
    const crawlee = await crawleeCrawl(site, SITEMAP_ONLY, CONCURRENCY);
    const map = await timeEach(MAP_SAMPLES, () =>
      post(`${server.url}/v2/map`, { url: `${site.url}/` }),
    );
    const browser = await launchChromium({
      executablePath: CHROME_PATH,
      logger: createLogger("silent"),
      extraArgs: ["--host-resolver-rules=MAP site.test 127.0.0.1, MAP other.test 127.0.0.1"],
    });
    try {
      const pages = ALL_PAGES.filter((p) => !DISALLOWED.includes(p));
      const rawSeconds = await rawCrawl(browser, site, pages);
      return {
        pages: crawled.pages,
        concurrency: CONCURRENCY,
        skiffSeconds: crawled.seconds,
        crawlee,
        rawSeconds: rawSeconds * (crawled.pages / pages.length),
        map: latency(map),
        peakRssMB: peak / 1024 / 1024,
      };
    } finally {
      await browser.close();
    }
  } finally {
    clearInterval(sampler);
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
    `crawl of the generated site, ${b.pages} pages, ${b.concurrency} at a time, markdown`,
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
