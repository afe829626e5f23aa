import { v7 as uuidv7 } from "uuid";
import type { PageExtractor } from "../agent/page-extractor.ts";
import type { Credits } from "../billing/credits.ts";
import { privateTargetRefusal, type TargetCheck } from "../crawl/target-check.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { urlSchema } from "../scrape/request/url.ts";
import type { SearchBackend } from "../search/search-backend.ts";
import type { JobGroupRow } from "../store/job-queue.ts";
import type { Store } from "../store/store.ts";
import type { ExtractRequest, StoredExtract } from "./extract-request.ts";
import type { ExtractDocument } from "./extract-worker.ts";

export interface ExtractServiceDeps {
  store: Store;
  credits: Credits;
  /** The model; none answers 503 at start. */
  extractor: PageExtractor | undefined;
  /** The web search behind `enableWebSearch`; none answers 503 at start. */
  search: SearchBackend | undefined;
  targets: TargetCheck;
  logger: Logger;
  /** Wakes the job runner: a job is queued. */
  notify: () => void;
  retentionMs: number;
}

/** Upstream's pre-check before an extract (spec §8). */
const EXTRACT_PRE_CHECK = 20;
const NO_VALID_URLS = "No valid URLs provided";

export type ExtractStatus = "processing" | "completed" | "failed" | "cancelled";

/** `GET /v2/extract/{id}`'s body, less the deprecation keys the route adds. */
export interface ExtractStatusBody {
  success: boolean;
  data: unknown;
  status: ExtractStatus;
  error?: string;
  expiresAt: string;
  sources?: Record<string, string[]>;
  tokensUsed?: number;
  creditsUsed?: number;
}

/**
 * `POST /v2/extract` and its status (spec §6): the checks made before anything is queued (model,
 * search backend, credits, each URL), then one durable job on the store's queue.
 */
export class ExtractService {
  readonly #deps: ExtractServiceDeps;

  constructor(deps: ExtractServiceDeps) {
    this.#deps = deps;
  }

  async start(
    body: ExtractRequest,
    ctx: { teamId: string; publicBaseUrl: string; rawScrapeOptions: Record<string, unknown> },
  ): Promise<{ id: string; invalidURLs?: string[] }> {
    if (!this.#deps.extractor) throw new AppError("LLM_NOT_CONFIGURED");
    const { valid, invalid } = await this.#sortUrls(body);
    // No URL to read: the web is the only source, as upstream's prompt-only extract.
    const webSearch = body.enableWebSearch || valid.length === 0;
    if (webSearch && !this.#deps.search) throw new AppError("SEARCH_NOT_CONFIGURED");
    if (valid.length === 0 && body.urls !== undefined && !body.enableWebSearch) {
      throw new AppError("BAD_REQUEST", NO_VALID_URLS);
    }
    await this.#deps.credits.requireAtLeast(ctx.teamId, EXTRACT_PRE_CHECK);
    const stored = storedOf(body, valid, webSearch, ctx);
    const id = uuidv7();
    await this.#deps.store.createJobGroup(this.#group(id, ctx.teamId, stored), {
      kind: "extract",
      pages: [{ url: valid[0]?.url ?? "", key: "extract", depth: 0 }],
    });
    this.#deps.notify();
    this.#deps.logger.info({ extractId: id, urls: valid.length, webSearch }, "extract queued");
    return { id, ...(body.ignoreInvalidURLs && { invalidURLs: invalid }) };
  }

  async status(id: string, teamId: string): Promise<ExtractStatusBody> {
    const group = await this.#deps.store.getJobGroup(id);
    if (!group || group.kind !== "extract" || group.teamId !== teamId) {
      throw new AppError("EXTRACT_NOT_FOUND");
    }
    const status = statusOf(group);
    const expiresAt = new Date((group.finishedAt ?? Date.now()) + group.retentionMs).toISOString();
    const base = { success: status !== "failed", status, expiresAt };
    if (status === "failed") return { ...base, data: [], error: group.error ?? "Extract failed." };
    if (status !== "completed") return { ...base, data: [] };
    const [documentJson] = await this.#deps.store.listJobGroupPages(id, 0, 1);
    const doc = JSON.parse(documentJson ?? "null") as ExtractDocument | null;
    const { creditsUsed } = await this.#deps.store.jobGroupCounts(id);
    const showSources = (group.request as StoredExtract).showSources;
    return {
      ...base,
      data: doc?.data ?? null,
      ...(showSources && doc && { sources: doc.sources }),
      tokensUsed: doc?.tokensUsed ?? 0,
      creditsUsed,
    };
  }

  /** Each URL checked as `/v2/scrape` would (its `/*` aside); bad ones listed or refused. */
  async #sortUrls(body: ExtractRequest) {
    const valid: StoredExtract["urls"] = [];
    const invalid: string[] = [];
    for (const raw of body.urls ?? []) {
      const wildcard = raw.endsWith("/*");
      const parsed = urlSchema.safeParse(wildcard ? raw.slice(0, -2) : raw);
      const refusal = parsed.success
        ? await privateTargetRefusal(parsed.data, this.#deps.targets)
        : parsed.error;
      if (!refusal && parsed.success) valid.push({ url: parsed.data, wildcard });
      else if (body.ignoreInvalidURLs) invalid.push(raw);
      else if (refusal) throw refusal;
    }
    return { valid, invalid };
  }

  #group(id: string, teamId: string, stored: StoredExtract): JobGroupRow {
    return {
      id,
      teamId,
      kind: "extract",
      url: stored.urls[0]?.url ?? null,
      request: stored,
      status: "scraping",
      limit: null,
      maxConcurrency: null,
      delayMs: 0,
      createdAt: Date.now(),
      finishedAt: null,
      error: null,
      webhook: stored.webhook !== null,
      retentionMs: this.#deps.retentionMs,
    };
  }
}

function storedOf(
  body: ExtractRequest,
  urls: StoredExtract["urls"],
  enableWebSearch: boolean,
  ctx: { publicBaseUrl: string; rawScrapeOptions: Record<string, unknown> },
): StoredExtract {
  return {
    kind: "extract",
    urls,
    ...(body.prompt !== undefined && { prompt: body.prompt }),
    ...(body.systemPrompt !== undefined && { systemPrompt: body.systemPrompt }),
    ...(body.schema !== undefined && { schema: body.schema }),
    ...(body.limit !== undefined && { limit: body.limit }),
    ...(body.timeout !== undefined && { timeout: body.timeout }),
    ignoreSitemap: body.ignoreSitemap,
    includeSubdomains: body.includeSubdomains,
    allowExternalLinks: body.allowExternalLinks,
    enableWebSearch,
    showSources: body.showSources,
    scrapeOptions: ctx.rawScrapeOptions,
    publicBaseUrl: ctx.publicBaseUrl,
    webhook: body.webhook ?? null,
  };
}

function statusOf(group: JobGroupRow): ExtractStatus {
  return group.status === "scraping" ? "processing" : group.status;
}
