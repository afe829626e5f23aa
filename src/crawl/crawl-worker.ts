import { JobFailed, runningGroupOf, type JobResult } from "../jobs/job-runner.ts";
import type { Logger } from "../log.ts";
import { scrapeRequestSchema, type ScrapeRequest } from "../scrape/scrape-request.ts";
import type { ScrapeService } from "../scrape/scrape-service.ts";
import type { ClaimedJob, JobGroupRow, NewPage } from "../store/job-queue.ts";
import type { Store } from "../store/store.ts";
import { crawlFilter, sitemapCandidates, type StoredJob } from "./stored-job.ts";
import { dedupeKey } from "./crawl-urls.ts";
import type { LinkFilter } from "./link-filter.ts";
import { readSitemaps } from "./sitemaps.ts";
import type { SiteFetcher } from "./site-fetcher.ts";

export interface CrawlWorkerDeps {
  store: Store;
  scraper: ScrapeService;
  fetcher: SiteFetcher;
  logger: Logger;
}

const MAX_CACHED_FILTERS = 1_000;

/**
 * Runs the jobs of crawls and batches: a crawl's kickoff (its seed and its sitemaps' pages) and
 * every page (scrape it, then hand the links a crawl may follow back to the queue).
 */
export class CrawlWorker {
  readonly #deps: CrawlWorkerDeps;
  readonly #filters = new Map<string, LinkFilter>();

  constructor(deps: CrawlWorkerDeps) {
    this.#deps = deps;
  }

  async handle(job: ClaimedJob, signal: AbortSignal): Promise<JobResult> {
    const gone = "The job's crawl or batch is gone.";
    const group = await runningGroupOf(this.#deps.store, job, gone);
    const stored = group.request as StoredJob;
    return job.kind === "kickoff"
      ? this.#kickoff(job, group, stored, signal)
      : this.#page(job, group, stored, signal);
  }

  /** The seed first, then the pages of its sitemaps that the crawl's rules allow. */
  async #kickoff(
    job: ClaimedJob,
    group: JobGroupRow,
    stored: StoredJob,
    signal: AbortSignal,
  ): Promise<JobResult> {
    if (stored.kind !== "crawl") throw new JobFailed("BAD_JOB", "A batch has no kickoff.");
    const seed = new URL(job.url);
    const links: NewPage[] = [{ url: seed.href, key: this.#key(stored, seed), depth: 0 }];
    const robotsBlocked: string[] = [];
    if (stored.crawl.sitemap !== "skip") {
      const candidates = sitemapCandidates(seed, stored.robotsSitemaps);
      const found = await readSitemaps(this.#deps.fetcher, candidates, signal);
      const filter = this.#filterOf(group, stored);
      for (const href of found) {
        const verdict = filter.check(href, seed);
        if ("url" in verdict) {
          links.push({ url: verdict.url.href, key: this.#key(stored, verdict.url), depth: 0 });
        } else if (verdict.denied === "ROBOTS_TXT") robotsBlocked.push(href);
      }
    }
    this.#deps.logger.info(
      { groupId: group.id, pages: links.length, robotsBlocked: robotsBlocked.length },
      "crawl kickoff",
    );
    return { documentJson: null, creditsUsed: 0, links, robotsBlocked };
  }

  async #page(
    job: ClaimedJob,
    group: JobGroupRow,
    stored: StoredJob,
    signal: AbortSignal,
  ): Promise<JobResult> {
    const request = pageRequest(stored, job.url);
    const asked = request.formats.some((f) => f.type === "links");
    if (!asked) request.formats.push({ type: "links" });
    const { document, creditsUsed } = await this.#deps.scraper.scrapePage(
      request,
      {
        teamId: job.teamId,
        sourceURL: job.url,
        publicBaseUrl: stored.publicBaseUrl,
        signal,
        // A crawl is one visitor: its pages share a browser context. A batch's pages do not.
        ...(stored.kind === "crawl" && { share: group.id }),
      },
      job.id,
    );
    const found = (document.links as string[] | undefined) ?? [];
    if (!asked) delete document.links;
    const discovered =
      stored.kind === "crawl" ? this.#discover(job, group, stored, found) : undefined;
    const denial = stored.kind === "crawl" ? this.#denial(job, group, stored, document) : undefined;
    if (stored.kind === "crawl" && !denial) await this.#lockRedirect(job, stored, document);
    if (denial) {
      await this.#deps.store.enqueuePages(group.id, discovered?.links ?? [], Date.now());
      throw new JobFailed("CRAWL_DENIAL", denial);
    }
    // Under zero data retention too: the job's short retention is what bounds how long it stays.
    return {
      documentJson: JSON.stringify(document),
      creditsUsed,
      links: discovered?.links ?? [],
      robotsBlocked: discovered?.robotsBlocked ?? [],
    };
  }

  /** The links of a page the crawl follows: not past its depth, nor with `sitemap: only`. */
  #discover(
    job: ClaimedJob,
    group: JobGroupRow,
    stored: StoredJob & { kind: "crawl" },
    found: string[],
  ) {
    const { maxDiscoveryDepth, sitemap } = stored.crawl;
    const links: NewPage[] = [];
    const robotsBlocked: string[] = [];
    if (sitemap === "only" || (maxDiscoveryDepth !== undefined && job.depth >= maxDiscoveryDepth)) {
      return { links, robotsBlocked };
    }
    const filter = this.#filterOf(group, stored);
    const base = new URL(job.url);
    for (const href of found) {
      const verdict = filter.check(href, base);
      if ("url" in verdict) {
        links.push({
          url: verdict.url.href,
          key: this.#key(stored, verdict.url),
          depth: job.depth + 1,
        });
      } else if (verdict.denied === "ROBOTS_TXT") robotsBlocked.push(href);
    }
    return { links, robotsBlocked };
  }

  /**
   * Why the crawl's rules refuse a page it has just scraped: the seed itself (its links are still
   * followed), or a page that redirected somewhere the rules refuse.
   */
  #denial(
    job: ClaimedJob,
    group: JobGroupRow,
    stored: StoredJob & { kind: "crawl" },
    document: Record<string, unknown>,
  ): string | undefined {
    const filter = this.#filterOf(group, stored);
    const isSeed = job.depth === 0 && job.url === group.url;
    if (isSeed) {
      const verdict = filter.check(job.url, new URL(job.url));
      if ("denied" in verdict) {
        return `The source URL (${job.url}) you provided as the starting point for this crawl is not allowed by your own crawl configuration (${verdict.denied}). Its links were still followed.`;
      }
      return undefined;
    }
    const finalUrl = (document.metadata as { url?: string } | undefined)?.url;
    if (!finalUrl || finalUrl === job.url) return undefined;
    const verdict = filter.check(finalUrl, new URL(job.url));
    return "denied" in verdict
      ? `The page redirected to ${finalUrl}, which the crawl may not visit (${verdict.denied}).`
      : undefined;
  }

  /**
   * A page that redirected takes its target's key too, so the target is not stored twice; when
   * another job has it, this one ends quietly (upstream's raced redirect, left out of /errors).
   */
  async #lockRedirect(
    job: ClaimedJob,
    stored: StoredJob & { kind: "crawl" },
    document: Record<string, unknown>,
  ): Promise<void> {
    const finalUrl = (document.metadata as { url?: string } | undefined)?.url;
    if (!finalUrl) return;
    const key = this.#key(stored, new URL(finalUrl));
    if (key === this.#key(stored, new URL(job.url))) return;
    if (!(await this.#deps.store.lockUrl(job.groupId, key))) {
      throw new JobFailed(
        "SCRAPE_RACED_REDIRECT_ERROR",
        `${job.url} redirected to a page this crawl has already.`,
      );
    }
  }

  #filterOf(group: JobGroupRow, stored: StoredJob & { kind: "crawl" }): LinkFilter {
    let filter = this.#filters.get(group.id);
    if (!filter) {
      // Rebuilt on demand: a crawl's filter is a few compiled patterns and its robots rules.
      if (this.#filters.size >= MAX_CACHED_FILTERS) this.#filters.clear();
      filter = crawlFilter(stored);
      this.#filters.set(group.id, filter);
    }
    return filter;
  }

  #key(stored: StoredJob & { kind: "crawl" }, url: URL): string {
    return dedupeKey(url, stored.crawl);
  }
}

/** The page's scrape request: the job's scrape options, with Firecrawl's defaults, for `url`. */
function pageRequest(stored: StoredJob, url: string): ScrapeRequest {
  return scrapeRequestSchema.parse({
    ...stored.scrapeOptions,
    url,
    ...(stored.zeroDataRetention && { zeroDataRetention: true }),
  });
}
