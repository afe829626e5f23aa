import { v7 as uuidv7 } from "uuid";
import type { Credits } from "../billing/credits.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { scrapeRequestSchema } from "../scrape/scrape-request.ts";
import type { CancelOutcome, JobGroupKind, JobGroupRow, NewPage } from "../store/job-queue.ts";
import type { Store } from "../store/store.ts";
import type { CrawlPrompt, GeneratedOptions } from "./crawl-prompt.ts";
import { compilePatterns, crawlRequestSchema, type CrawlRequest } from "./crawl-request.ts";
import { dedupeKey } from "./crawl-urls.ts";
import { expiresAtMs, expiresAtOf, jobStatus, type StatusQuery } from "./job-status.ts";
import { parseRobots } from "./robots.ts";
import type { SiteFetcher } from "./site-fetcher.ts";
import { privateTargetRefusal, refusePrivateTarget, type TargetCheck } from "./target-check.ts";
import type { StoredJob } from "./stored-job.ts";
import { NO_VALID_URLS, type BatchRequest, type BatchUrl } from "./batch-request.ts";

export interface CrawlServiceDeps {
  prompt: CrawlPrompt;
  targets: TargetCheck;
  store: Store;
  fetcher: SiteFetcher;
  credits: Credits;
  logger: Logger;
  /** Tells the job runner that work is queued. */
  notify: () => void;
  /** How long a job's results are kept once it ends (JOB_RETENTION_SECONDS). */
  retentionMs: number;
}

export interface JobContext {
  teamId: string;
  publicBaseUrl: string;
  /** The raw body's scrape options, exactly as sent: each page parses them again for its URL. */
  rawScrapeOptions: Record<string, unknown>;
}

/** Under zero data retention, results are kept an hour at most: long enough to read them. */
const ZDR_RETENTION_MS = 60 * 60 * 1000;
const SWEEP_BATCH = 100;
/** The most documents one watcher message round reads. */
const WATCH_BATCH = 1_000;

/** Crawls and batch scrapes as the API sees them: start, status, cancel, errors, the active list. */
export class CrawlService {
  readonly #deps: CrawlServiceDeps;

  constructor(deps: CrawlServiceDeps) {
    this.#deps = deps;
  }

  /** Queues a crawl's kickoff; robots.txt is read now, so its Crawl-delay paces the crawl. */
  async startCrawl(request: CrawlRequest, ctx: JobContext): Promise<string> {
    const seed = new URL(request.url);
    scrapeRequestSchema.parse({ ...ctx.rawScrapeOptions, url: seed.href });
    compilePatterns(request);
    await refusePrivateTarget(seed.href, this.#deps.targets);
    await this.#deps.credits.requireAny(ctx.teamId);
    const robots = request.ignoreRobotsTxt ? undefined : await this.#robots(seed);
    const { webhook, ...rest } = request;
    const crawl = omit(rest, ["scrapeOptions"]);
    const stored: StoredJob = {
      kind: "crawl",
      crawl,
      scrapeOptions: ctx.rawScrapeOptions,
      zeroDataRetention: request.zeroDataRetention,
      publicBaseUrl: ctx.publicBaseUrl,
      webhook: webhook ?? null,
      robotsTxt: robots?.text ?? null,
      robotsSitemaps: robots?.sitemaps ?? [],
    };
    const delayMs = Math.max((request.delay ?? 0) * 1000, robots?.crawlDelayMs ?? 0);
    const group = this.#group("crawl", ctx.teamId, stored, {
      url: seed.href,
      limit: request.limit,
      maxConcurrency: request.maxConcurrency ?? null,
      delayMs,
    });
    const seedPage = { url: seed.href, key: dedupeKey(seed, request), depth: 0 };
    await this.#deps.store.createJobGroup(group, { kind: "kickoff", pages: [seedPage] });
    this.#deps.logger.info({ crawlId: group.id, delayMs, limit: request.limit }, "crawl queued");
    this.#deps.notify();
    return group.id;
  }

  /**
   * The crawl's body with a `prompt`'s options filled in where the caller sent none (spec §2.4
   * steps 10–11); without a prompt, the body as it is.
   */
  async applyPrompt(
    raw: Record<string, unknown>,
    parsed: CrawlRequest,
    teamId: string,
  ): Promise<{ request: CrawlRequest; generated?: GeneratedOptions }> {
    if (!parsed.prompt) return { request: parsed };
    const generated = await this.#deps.prompt.options(
      parsed.url,
      parsed.prompt,
      teamId,
      "Failed to process natural language prompt. Please try rephrasing or use explicit crawler options.",
    );
    const merged = { ...raw };
    for (const [key, value] of Object.entries(generated)) {
      if (merged[key] === undefined || merged[key] === null) merged[key] = value;
    }
    return { request: crawlRequestSchema.parse(merged), generated };
  }

  /** `POST /v2/crawl/params-preview`: the options a prompt gives, without crawling. */
  async previewPrompt(url: string, prompt: string, teamId: string): Promise<GeneratedOptions> {
    const failure = "Failed to process natural language prompt. Please try rephrasing.";
    return this.#deps.prompt.options(url, prompt, teamId, failure);
  }

  /**
   * Queues one page job per URL (duplicates included, as upstream). A URL the egress policy
   * refuses is listed in `invalid` when the caller asked for a list (as upstream lists a
   * blocklisted one), and refuses the batch with 403 when `ignoreInvalidURLs` was false.
   */
  async startBatch(
    request: BatchRequest,
    sorted: { valid: BatchUrl[]; invalid: string[] | undefined },
    ctx: JobContext,
  ): Promise<{ id: string; invalid: string[] | undefined }> {
    const { invalid } = sorted;
    const urls: string[] = [];
    for (const { url, raw } of sorted.valid) {
      scrapeRequestSchema.parse({ ...ctx.rawScrapeOptions, url });
      const refusal = await privateTargetRefusal(url, this.#deps.targets);
      if (refusal && !invalid) throw refusal;
      if (refusal) invalid?.push(raw);
      else urls.push(url);
    }
    if (urls.length === 0) throw new AppError("BAD_REQUEST", NO_VALID_URLS);
    return { id: await this.#queueBatch(request, urls, ctx), invalid };
  }

  async #queueBatch(request: BatchRequest, urls: string[], ctx: JobContext): Promise<string> {
    await this.#deps.credits.requireAny(ctx.teamId);
    const stored: StoredJob = {
      kind: "batch",
      scrapeOptions: ctx.rawScrapeOptions,
      zeroDataRetention: request.zeroDataRetention,
      publicBaseUrl: ctx.publicBaseUrl,
      webhook: request.webhook ?? null,
    };
    const pages = batchPages(urls);
    if (request.appendToId) {
      const existing = await this.#owned(request.appendToId, ctx.teamId, "batch");
      await this.#deps.store.enqueuePages(existing.id, pages, Date.now());
      this.#deps.notify();
      return existing.id;
    }
    const group = this.#group("batch", ctx.teamId, stored, {
      url: null,
      limit: null,
      maxConcurrency: request.maxConcurrency ?? null,
      delayMs: 0,
    });
    await this.#deps.store.createJobGroup(group, { kind: "page", pages });
    this.#deps.notify();
    return group.id;
  }

  async status(kind: JobGroupKind, id: string, teamId: string, query: StatusQuery) {
    const group = await this.#owned(id, teamId, kind);
    return jobStatus(this.#deps.store, group, query);
  }

  /** Marks the job cancelled; its queued pages are dropped and running ones end as cancelled. */
  async cancel(kind: JobGroupKind, id: string, teamId: string): Promise<CancelOutcome> {
    const group = await this.#find(id);
    if (!group || group.kind !== kind || group.teamId !== teamId) return "not-found";
    return this.#deps.store.cancelJobGroup(id, Date.now());
  }

  async errors(kind: JobGroupKind, id: string, teamId: string) {
    const group = await this.#find(id);
    if (!group || group.kind !== kind) throw new AppError("CRAWL_NOT_FOUND");
    if (group.teamId !== teamId) throw new AppError("CRAWL_FORBIDDEN");
    const [errors, robotsBlocked] = await Promise.all([
      this.#deps.store.listJobGroupErrors(id),
      this.#deps.store.listRobotsBlocked(id),
    ]);
    return {
      errors: errors.map((e) => ({
        id: e.id,
        timestamp: new Date(e.finishedAt).toISOString(),
        url: e.url,
        ...(e.code !== null && { code: e.code }),
        error: e.error,
      })),
      robotsBlocked,
    };
  }

  /**
   * What the WebSocket watcher sends (spec §2.11): the job's state, and the documents stored
   * after the first `skip`. Another team's job is forbidden here, not hidden.
   */
  async watch(kind: JobGroupKind, id: string, teamId: string, skip: number) {
    const group = await this.#find(id);
    if (!group || group.kind !== kind) throw new AppError("CRAWL_NOT_FOUND");
    if (group.teamId !== teamId) throw new AppError("CRAWL_FORBIDDEN");
    const counts = await this.#deps.store.jobGroupCounts(id);
    const documents = await this.#deps.store.listJobGroupPages(id, skip, WATCH_BATCH);
    return {
      status: group.status,
      error: group.error,
      completed: counts.completed,
      total: counts.total,
      creditsUsed: counts.creditsUsed,
      expiresAt: expiresAtOf(group),
      documents,
    };
  }

  /** A team's crawls still running (spec §2.9). */
  async active(teamId: string) {
    const groups = await this.#deps.store.listActiveJobGroups(teamId, "crawl");
    return groups.map((g) => {
      const stored = g.request as StoredJob & { kind: "crawl" };
      const hidden = ["url", "zeroDataRetention", "origin", "integration", "prompt"] as const;
      const options = omit(stored.crawl, [...hidden]);
      return {
        id: g.id,
        teamId: g.teamId,
        url: g.url,
        created_at: new Date(g.createdAt).toISOString(),
        options: { ...options, scrapeOptions: stored.scrapeOptions },
      };
    });
  }

  /** The job, if it exists, is of this kind and belongs to the team; 404 otherwise (spec §2.6). */
  async #owned(id: string, teamId: string, kind: JobGroupKind): Promise<JobGroupRow> {
    const group = await this.#find(id);
    if (!group || group.kind !== kind || group.teamId !== teamId) {
      throw new AppError("CRAWL_NOT_FOUND");
    }
    return group;
  }

  /** The job, unless there is none or it has expired (its rows are gone, or soon will be). */
  async #find(id: string): Promise<JobGroupRow | undefined> {
    const group = await this.#deps.store.getJobGroup(id);
    if (!group || (group.finishedAt !== null && expiresAtMs(group) <= Date.now())) return undefined;
    return group;
  }

  /** Deletes the jobs whose retention has passed, with their documents; how many. */
  async sweepExpired(): Promise<number> {
    let deleted = 0;
    for (;;) {
      const ids = await this.#deps.store.deleteExpiredJobGroups(Date.now(), SWEEP_BATCH);
      deleted += ids.length;
      if (ids.length < SWEEP_BATCH) break;
    }
    if (deleted > 0) this.#deps.logger.info({ deleted }, "expired crawls and batches deleted");
    return deleted;
  }

  async #robots(seed: URL) {
    const robotsUrl = new URL("/robots.txt", seed).href;
    const fetched = await this.#deps.fetcher.text(robotsUrl, AbortSignal.timeout(15_000));
    if (!fetched || fetched.status !== 200) return undefined;
    return { text: fetched.text, ...parseRobots(robotsUrl, fetched.text) };
  }

  #group(
    kind: JobGroupKind,
    teamId: string,
    stored: StoredJob,
    shape: Pick<JobGroupRow, "url" | "limit" | "maxConcurrency" | "delayMs">,
  ): JobGroupRow {
    return {
      id: uuidv7(),
      teamId,
      kind,
      request: stored,
      status: "scraping",
      createdAt: Date.now(),
      finishedAt: null,
      error: null,
      webhook: stored.webhook !== null,
      retentionMs: stored.zeroDataRetention
        ? Math.min(ZDR_RETENTION_MS, this.#deps.retentionMs)
        : this.#deps.retentionMs,
      ...shape,
    };
  }
}

/** A batch scrapes every URL it was given, the same one twice too: each gets a key of its own. */
function batchPages(urls: string[]): NewPage[] {
  return urls.map((url) => ({ url, key: uuidv7(), depth: 0 }));
}

function omit<T extends object, K extends keyof T>(value: T, keys: K[]): Omit<T, K> {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}
