// /v2/search with scrapeOptions against /v2/scrape of the slowest of its results alone: the
// results are scraped in parallel, so the search should cost little more than its slowest page.
import type { TestSite } from "../test/fixtures/site/test-site.ts";
import { startFakeSearxng } from "../test/fixtures/searxng.ts";
import { startSkiff } from "../test/helpers/skiff-harness.ts";
import { collect, fmt, percentile } from "./stats.ts";

const DELAYS_MS = [100, 200, 300, 400, 500];
const ROUNDS = 7;
/** Enough browser slots, and warm contexts, for all five scrapes at once. */
const SCRAPE_CONCURRENCY = DELAYS_MS.length;
/**
 * The pause before each paced request, both sides: the five warm contexts a search uses take about
 * that long to be made again. Back to back, a search also waits for new contexts.
 */
const PACE_MS = 2000;

interface Reply {
  success?: boolean;
  data?: { web?: { markdown?: string }[] };
}

export interface SearchBench {
  rounds: number;
  concurrency: number;
  paced: { searchP50: number; slowestScrapeP50: number };
  backToBack: { searchP50: number; slowestScrapeP50: number };
}

async function timed(url: string, body: object, check: (reply: Reply) => boolean, pace: number) {
  await new Promise((resolve) => setTimeout(resolve, pace));
  const t0 = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const reply = (await res.json()) as Reply;
  if (!check(reply)) throw new Error(`${url} failed: ${res.status} ${JSON.stringify(reply)}`);
  return performance.now() - t0;
}

const scrapedAll = (reply: Reply) =>
  reply.success === true &&
  reply.data?.web?.length === DELAYS_MS.length &&
  reply.data.web.every((r) => r.markdown?.includes("Slow page after"));

export async function benchSearch(site: TestSite): Promise<SearchBench> {
  const searxng = await startFakeSearxng();
  const server = await startSkiff({
    SEARXNG_ENDPOINT: searxng.url,
    SCRAPE_CONCURRENCY: String(SCRAPE_CONCURRENCY),
    SCRAPE_WARM_CONTEXTS: String(SCRAPE_CONCURRENCY),
  });
  let round = 0;
  // Each round's URLs are new (and maxAge 0), so no scrape is served from the cache.
  const search = async (pace: number) => {
    const r = ++round;
    searxng.results = {
      general: DELAYS_MS.map((ms, i) => ({
        url: `${site.url}/slow?ms=${ms}&round=${r}`,
        title: `Page ${i}`,
        content: `${ms} ms`,
      })),
    };
    const body = {
      query: `bench ${r}`,
      limit: 5,
      scrapeOptions: { formats: ["markdown"], maxAge: 0 },
    };
    return timed(`${server.url}/v2/search`, body, scrapedAll, pace);
  };
  const slowest = (pace: number) => {
    const url = `${site.url}/slow?ms=${Math.max(...DELAYS_MS)}&round=${++round}`;
    const body = { url, formats: ["markdown"], maxAge: 0 };
    return timed(`${server.url}/v2/scrape`, body, (reply) => reply.success === true, pace);
  };
  const medians = async (pace: number) => ({
    searchP50: percentile(await collect(ROUNDS, () => search(pace)), 50),
    slowestScrapeP50: percentile(await collect(ROUNDS, () => slowest(pace)), 50),
  });
  try {
    await search(PACE_MS);
    await slowest(PACE_MS);
    const paced = await medians(PACE_MS);
    const backToBack = await medians(0);
    return { rounds: ROUNDS, concurrency: SCRAPE_CONCURRENCY, paced, backToBack };
  } finally {
    await server.close();
    await searxng.close();
  }
}

export function printSearch(b: SearchBench): void {
  console.log(
    `/v2/search, 5 results on local pages of ${DELAYS_MS.join("/")} ms, scraped to markdown, ${b.rounds} rounds`,
  );
  console.log(
    `  SCRAPE_CONCURRENCY=${b.concurrency} and SCRAPE_WARM_CONTEXTS=${b.concurrency}: the 5 scrapes run at once`,
  );
  const rows = (name: string, r: SearchBench["paced"], goal: string) => {
    console.log(`  ${name}:`);
    console.log(`    search + 5 scrapes         p50 ${fmt(r.searchP50).padStart(6)} ms`);
    console.log(`    /v2/scrape slowest alone   p50 ${fmt(r.slowestScrapeP50).padStart(6)} ms`);
    console.log(
      `    ratio p50                  ${fmt(r.searchP50 / r.slowestScrapeP50, 2)}${goal}`,
    );
  };
  rows(`paced (${PACE_MS} ms between requests, both sides)`, b.paced, "   [<= 1.3]");
  rows("back to back (a search also waits for new browser contexts)", b.backToBack, "");
  console.log("");
}
