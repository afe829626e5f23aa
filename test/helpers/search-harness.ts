import { after, before } from "node:test";
import { startFakeSearxng, type FakeSearxng } from "../fixtures/searxng.ts";
import { startTestSite, type TestSite } from "../fixtures/site/test-site.ts";
import { postJson, startSkiff, type RunningSkiff } from "./skiff-harness.ts";

export interface SearchHarness {
  searxng: FakeSearxng;
  site: TestSite;
  server: RunningSkiff;
  /** `POST /v2/search` with this body. */
  search: (body: unknown) => Promise<{ status: number; body: Record<string, any> }>;
  /** Resets the fixture to these results and returns a query nobody asked before. */
  fresh: (results?: FakeSearxng["results"]) => string;
  /** The number the next `fresh()` puts in its query, for URLs no earlier test scraped. */
  readonly nextRound: number;
}

/**
 * Registers hooks that start the SearXNG-shaped fixture, the local test site and a Skiff that
 * searches through the fixture, for the current file. Every query is new, so results scraped
 * by an earlier test are never served from the document cache.
 */
export function useSearchServer(): SearchHarness {
  let round = 0;
  const t = {
    search: (body: unknown) => postJson(`${t.server.url}/v2/search`, body),
    fresh: (results: FakeSearxng["results"] = {}) => {
      t.searxng.results = results;
      t.searxng.mode = "ok";
      t.searxng.delayMs = 0;
      t.searxng.queries.length = 0;
      return `query ${++round}`;
    },
    get nextRound() {
      return round + 1;
    },
  } as SearchHarness;
  before(async () => {
    [t.searxng, t.site] = await Promise.all([startFakeSearxng(), startTestSite()]);
    t.server = await startSkiff({
      SEARXNG_ENDPOINT: `${t.searxng.url}/`,
      SEARXNG_ENGINES: "duckduckgo,brave",
    });
  });
  after(async () => {
    await t.server.close();
    await Promise.all([t.searxng.close(), t.site.close()]);
  });
  return t;
}
