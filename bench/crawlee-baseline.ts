// Crawlee's PlaywrightCrawler on the generated site, as the crawl benchmark's baseline: the same
// Chromium binary and flags, the same concurrency, markdown with the same converter (mdream).
import { Configuration, log, LogLevel, PlaywrightCrawler } from "crawlee";
import { htmlToMarkdown } from "mdream";
import { chromium, type Page } from "playwright-core";
import { CHROMIUM_DEFAULT_ARGS } from "../src/browser/chromium-args.ts";
import type { CrawlSite } from "../test/fixtures/crawl-site.ts";
import { CHROME_PATH } from "../test/fixtures/site/test-browser.ts";

export interface CrawleeRun {
  pages: number;
  /** From the browser's launch to the crawl's end: Skiff's browser is up before its crawl too. */
  seconds: number;
}

/**
 * Crawls the site from `/` and the pages its sitemap lists (Crawlee reads robots.txt and sitemaps
 * over Node's own DNS, which cannot resolve the test names), following same-host links and
 * leaving out what robots.txt disallows, as Skiff's crawl does.
 */
export async function crawleeCrawl(
  site: CrawlSite,
  sitemapPaths: string[],
  concurrency: number,
): Promise<CrawleeRun> {
  log.setLevel(LogLevel.OFF);
  let launched = 0;
  let pages = 0;
  const crawler = new PlaywrightCrawler(
    {
      launchContext: {
        launcher: chromium,
        launchOptions: {
          executablePath: CHROME_PATH,
          headless: true,
          args: [...CHROMIUM_DEFAULT_ARGS, "--host-resolver-rules=MAP *.test 127.0.0.1"],
          // Crawlee puts every browser behind its own local proxy, which resolves names itself;
          // straight to the site instead, as raw Playwright goes (Skiff's egress proxy stays on).
          proxy: { server: "http://127.0.0.1:9", bypass: "*" },
        },
      },
      browserPoolOptions: { postLaunchHooks: [() => void (launched ||= performance.now())] },
      minConcurrency: concurrency,
      maxConcurrency: concurrency,
      maxRequestRetries: 0,
      requestHandlerTimeoutSecs: 3,
      navigationTimeoutSecs: 3,
      async requestHandler({ page, enqueueLinks }) {
        // Crawlee types its page with the full `playwright` package, which is not installed.
        htmlToMarkdown(await (page as unknown as Page).content());
        pages++;
        await enqueueLinks({ strategy: "same-hostname", exclude: [`${site.url}/private/**`] });
      },
      // A failed page (the loop, the slow page) is logged by Crawlee; the count is what matters.
      failedRequestHandler: () => undefined,
    },
    new Configuration({ persistStorage: false }),
  );
  await crawler.run([`${site.url}/`, ...sitemapPaths.map((p) => `${site.url}${p}`)]);
  return { pages, seconds: (performance.now() - launched) / 1000 };
}
