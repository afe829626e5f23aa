import { randomUUID } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import type { Credits } from "../billing/credits.ts";
import { StoreSlots } from "../billing/team-slots.ts";
import type { Release } from "../billing/release.ts";
import type { Config } from "../config.ts";
import { AppError } from "../errors.ts";
import type { FileStore } from "../files/file-store.ts";
import type { Logger } from "../log.ts";
import type { EgressCounters } from "../net/egress-proxy.ts";
import type { ProfileVault } from "../profiles/profile-vault.ts";
import { checkTarget, type Resolver } from "../net/target-policy.ts";
import type { PageSnapshot } from "../store/change-history.ts";
import type { EgressBytes, Store } from "../store/store.ts";
import type { BrowserPool } from "./browser-pool.ts";
import { ChangeTracker } from "./change-tracking.ts";
import { DEFAULT_MAX_AGE_MS, cacheKey, isCacheable } from "./document-cache.ts";
import { buildDocument, buildMetadata, type ScrapeFacts } from "./document.ts";
import type { LlmFormats, LlmPage } from "./llm-formats.ts";
import { modelAnswers } from "./model-answers.ts";
import type { PageCapture } from "./page-capture.ts";
import { loadPage, mayBeEgressRefusal } from "./page-loader.ts";
import { NO_ANSWERS, queryAnswers } from "./query-answers.ts";
import {
  asScrapeError,
  blockedDocument,
  contextSpecOf,
  creditsFor,
  creditsOf,
  dnsError,
  imageType,
  loadRequestOf,
  onlyRequested,
  prependWarnings,
  readsCache,
  saveActionFiles,
  transformOptionsOf,
  warningFor,
} from "./scrape-plan.ts";
import { asksModel, type ScrapeRequest, type ScreenshotFormat } from "./scrape-request.ts";
import { transformCapture } from "./transform/transform-capture.ts";
import { refuseUnavailable } from "./unavailable-features.ts";
import type { NodeIdentity } from "../store/node-identity.ts";

export interface ScrapeContext {
  teamId: string;
  /** The URL exactly as the caller sent it. */
  sourceURL: string;
  /** Where the files this scrape saves will be served from. */
  publicBaseUrl: string;
  /** Aborts when the caller is gone. */
  signal: AbortSignal;
  /** Pages with the same key open in one shared browser context (the pages of one crawl). */
  share?: string;
}

export interface ScrapeResult {
  id: string;
  /** The response's `data`, serialized once: the same bytes are stored and sent. */
  documentJson: string;
}

export interface ScrapeServiceDeps {
  config: Config;
  store: Store;
  pool: BrowserPool;
  files: FileStore;
  logger: Logger;
  resolve: Resolver;
  profiles: ProfileVault;
  /** Writes the model formats (json, summary, question, highlights); absent without a model. */
  llm?: LlmFormats | undefined;
  /** The team's credits, checked before a scrape starts (its charge is stored with its row). */
  credits: Credits;
  /** Scrapes one team may run at once; undefined when teams are not limited (AUTH=none). */
  teamConcurrency: number | undefined;
  /** This process, as the holder of its scrapes' team slots. */
  node: NodeIdentity;
}

/** A scrape's team slot outlives its longest run by this much, should its process die. */
const SLOT_MARGIN_MS = 5 * 60 * 1000;

/** One scrape, start to end: checks, cache, browser, transform, files, store. */
export class ScrapeService {
  #deps: ScrapeServiceDeps;
  #teamSlots: StoreSlots;
  #tracker: ChangeTracker;

  constructor(deps: ScrapeServiceDeps) {
    this.#deps = deps;
    this.#tracker = new ChangeTracker(deps);
    this.#teamSlots = new StoreSlots(deps.store, {
      kind: "scrape",
      limit: deps.teamConcurrency,
      node: deps.node,
    });
  }

  /** Refuses what cannot run (400, 503), then a team out of credits (402) or slots (429). */
  async scrape(request: ScrapeRequest, ctx: ScrapeContext): Promise<ScrapeResult> {
    refuseUnavailable(request, this.#deps.llm !== undefined);
    // Credits and slot are held for as long as the scrape could run: queue wait and deadline.
    const { SCRAPE_QUEUE_TIMEOUT_MS, SCRAPE_DEFAULT_TIMEOUT_MS } = this.#deps.config;
    const runsMs = SCRAPE_QUEUE_TIMEOUT_MS + (request.timeout ?? SCRAPE_DEFAULT_TIMEOUT_MS);
    const hold = await this.#deps.credits.holdForScrape(ctx.teamId, runsMs);
    let slot: Release | undefined;
    try {
      slot = await this.#teamSlots.take(ctx.teamId, randomUUID(), runsMs + SLOT_MARGIN_MS);
      return await this.#scrape(request, ctx);
    } finally {
      slot?.();
      hold();
    }
  }

  async #scrape(request: ScrapeRequest, ctx: ScrapeContext): Promise<ScrapeResult> {
    const id = uuidv7();
    const log = this.#deps.logger.child({ scrapeId: id });
    const timeoutMs = request.timeout ?? this.#deps.config.SCRAPE_DEFAULT_TIMEOUT_MS;
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ctx.signal]);
    const started = Date.now();
    try {
      const egress: EgressBytes = { bytesIn: 0, bytesOut: 0 };
      const doc = await this.#produce(request, { ...ctx, signal }, id, egress);
      const documentJson = JSON.stringify(doc.document);
      await this.#record(request, ctx.teamId, id, { ...doc, documentJson }, egress);
      if (doc.snapshot) await this.#tracker.remember(doc.snapshot, id);
      log.info(
        {
          ms: Date.now() - started,
          ...egress,
          ...(!request.zeroDataRetention && { url: request.url }),
        },
        "scraped",
      );
      return { id, documentJson };
    } catch (e) {
      throw asScrapeError(e, signal, ctx.signal);
    }
  }

  /**
   * One page of a crawl or batch, under its job's id. Not stored or billed here: the job queue
   * stores and bills the page in the transaction that completes its job.
   */
  async scrapePage(
    request: ScrapeRequest,
    ctx: ScrapeContext,
    id: string,
  ): Promise<{ document: Record<string, unknown>; creditsUsed: number }> {
    refuseUnavailable(request, this.#deps.llm !== undefined);
    const timeoutMs = request.timeout ?? this.#deps.config.SCRAPE_DEFAULT_TIMEOUT_MS;
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ctx.signal]);
    try {
      const egress: EgressBytes = { bytesIn: 0, bytesOut: 0 };
      const { document, snapshot } = await this.#produce(request, { ...ctx, signal }, id, egress);
      if (snapshot) await this.#tracker.remember(snapshot, id);
      return { document: document as Record<string, unknown>, creditsUsed: creditsOf(document) };
    } catch (e) {
      throw asScrapeError(e, signal, ctx.signal);
    }
  }

  /** The stored document of a scrape, as JSON; 404 when gone or never kept, 403 for another team. */
  async storedDocument(id: string, teamId: string): Promise<string> {
    const row = await this.#deps.store.getScrape(id);
    if (!row) throw new AppError("JOB_NOT_FOUND");
    if (row.teamId !== teamId) throw new AppError("RESOURCE_FORBIDDEN");
    if (row.documentJson === null) throw new AppError("JOB_NOT_FOUND");
    return row.documentJson;
  }

  /** Fills in `egress` with what the browser moved, when one ran. */
  async #produce(
    request: ScrapeRequest,
    ctx: ScrapeContext,
    id: string,
    egress: EgressBytes,
  ): Promise<{ document: object; cacheable: boolean; snapshot?: PageSnapshot | undefined }> {
    const cacheable = isCacheable(request);
    const cached =
      cacheable || request.lockdown ? await this.#fromCache(request, ctx, id) : undefined;
    if (cached) return { document: cached, cacheable: false };
    const verdict = await checkTarget(new URL(request.url), {
      allowPrivate: this.#deps.config.ALLOW_PRIVATE_TARGETS,
      resolve: this.#deps.resolve,
      signal: ctx.signal,
    });
    if (verdict.kind === "unresolved") throw dnsError(verdict.hostname);
    if (verdict.kind === "blocked") {
      this.#deps.logger.warn(
        { scrapeId: id, address: verdict.address },
        "target refused by policy",
      );
      return { document: blockedDocument(request, ctx.sourceURL, id), cacheable: false };
    }
    const cache = cacheable && readsCache(request) ? ({ state: "miss" } as const) : undefined;
    const page = await this.#scrapeInBrowser(request, ctx, id, cache, egress);
    return { ...page, cacheable };
  }

  async #fromCache(request: ScrapeRequest, ctx: ScrapeContext, id: string) {
    if (!readsCache(request)) return undefined;
    const maxAge = request.maxAge ?? DEFAULT_MAX_AGE_MS;
    const entry = await this.#deps.store.getCached(cacheKey(request), Date.now() - maxAge);
    if (!entry) {
      if (request.lockdown) throw new AppError("SCRAPE_LOCKDOWN_CACHE_MISS");
      if (request.minAge !== undefined) throw new AppError("SCRAPE_NO_CACHED_DATA");
      return undefined;
    }
    const doc = JSON.parse(entry.documentJson) as { metadata: Record<string, unknown> };
    const cachedAt = new Date(entry.cachedAt).toISOString();
    doc.metadata = {
      ...doc.metadata,
      scrapeId: id,
      sourceURL: ctx.sourceURL,
      cacheState: "hit",
      cachedAt,
      concurrencyLimited: false,
    };
    delete doc.metadata.concurrencyQueueDurationMs;
    return doc;
  }

  async #scrapeInBrowser(
    request: ScrapeRequest,
    ctx: ScrapeContext,
    id: string,
    cache: ScrapeFacts["cache"],
    bytes: EgressBytes,
  ) {
    const ran = await this.#capture(request, ctx, id, bytes);
    if (!ran) return { document: blockedDocument(request, ctx.sourceURL, id) };
    const { value: capture, queuedMs } = ran;
    const transformed = await transformCapture(capture, transformOptionsOf(request));
    const page = { markdown: transformed.markdown ?? "", url: capture.url, scrapeId: id };
    const facts = { teamId: ctx.teamId, statusCode: capture.statusCode, ...page };
    const made = await this.#askModel(request, facts, ctx.signal);
    const content = onlyRequested(request, transformed);
    const files = await this.#saveFiles(capture, ctx);
    const metadata = buildMetadata(content.metadata, {
      scrapeId: id,
      sourceURL: ctx.sourceURL,
      url: capture.url,
      statusCode: capture.statusCode,
      contentType: capture.contentType,
      creditsUsed: creditsFor(request, content, made.charges),
      concurrencyQueueDurationMs: queuedMs,
      ...(cache && { cache }),
    });
    const document = buildDocument(content, { ...files, ...made.extras }, metadata);
    return { document, snapshot: made.snapshot };
  }

  /** Loads the page in the browser; undefined when the egress proxy refused the target. */
  async #capture(request: ScrapeRequest, ctx: ScrapeContext, id: string, bytes: EgressBytes) {
    const screenshot = request.formats.find((f): f is ScreenshotFormat => f.type === "screenshot");
    let egress: EgressCounters | undefined;
    try {
      const storageState = request.profile
        ? await this.#deps.profiles.load(ctx.teamId, request.profile.name)
        : undefined;
      return await this.#deps.pool.run(
        { ...contextSpecOf(request), storageState },
        (page, counters) => {
          egress = counters;
          return loadPage(page, loadRequestOf(request, screenshot), ctx.signal);
        },
        { signal: ctx.signal, label: `scrape ${id}`, ...(ctx.share && { share: ctx.share }) },
      );
    } catch (err) {
      if (!egress?.refusals || !mayBeEgressRefusal(err)) throw err;
      this.#deps.logger.warn({ scrapeId: id, err }, "target refused by the egress proxy");
      return undefined;
    } finally {
      bytes.bytesIn = egress?.bytesIn ?? 0;
      bytes.bytesOut = egress?.bytesOut ?? 0;
    }
  }

  /**
   * What the model and the change history make of the page, side by side: `json` and `summary`
   * (whose failure fails the scrape, and stops the others), question and highlights, and the
   * comparison with the page's previous scrape.
   */
  async #askModel(
    request: ScrapeRequest,
    page: LlmPage & { teamId: string; statusCode: number; scrapeId: string },
    signal: AbortSignal,
  ) {
    const llm = this.#deps.llm;
    const stop = new AbortController();
    const both = AbortSignal.any([signal, stop.signal]);
    try {
      const [answers, queries, tracked] = await Promise.all([
        llm && asksModel(request) ? modelAnswers(llm, request, page, both) : {},
        llm ? queryAnswers(llm, request, page, both) : NO_ANSWERS,
        this.#tracker.track(request, page, both),
      ]);
      const { changeTracking, snapshot, billsJson } = tracked;
      const warning = prependWarnings(warningFor(request), ...queries.warnings, tracked.warning);
      const { answer, highlights } = queries;
      return {
        extras: { ...answers, answer, highlights, changeTracking, warning },
        charges: { queryCredits: queries.credits, billsJson },
        snapshot,
      };
    } finally {
      stop.abort();
    }
  }

  async #saveFiles(capture: PageCapture, ctx: ScrapeContext) {
    const save = async (bytes: Buffer, type: string) => {
      const name = await this.#deps.files.save(bytes, type, ctx.teamId);
      return `${ctx.publicBaseUrl}/files/${name}`;
    };
    const screenshot = capture.screenshot
      ? await save(capture.screenshot, imageType(capture.screenshot))
      : undefined;
    const actions = capture.actions ? await saveActionFiles(capture.actions, save) : undefined;
    return { screenshot, actions };
  }

  /** Stores the scrape, which charges its credits to the team in the same transaction. */
  async #record(
    request: ScrapeRequest,
    teamId: string,
    id: string,
    doc: { document: object; documentJson: string; cacheable: boolean },
    egress: EgressBytes,
  ): Promise<void> {
    const { documentJson, cacheable } = doc;
    // Lockdown implies zero data retention, as upstream.
    const zdr = request.zeroDataRetention === true || request.lockdown;
    await this.#deps.store.insertScrape({
      id,
      teamId,
      url: zdr ? null : request.url,
      options: zdr ? null : request,
      documentJson: zdr ? null : documentJson,
      createdAt: Date.now(),
      egress: egress.bytesIn + egress.bytesOut > 0 ? egress : null,
      creditsUsed: creditsOf(doc.document),
    });
    if (cacheable && request.storeInCache) {
      await this.#deps.store.putCached(cacheKey(request), {
        url: request.url,
        documentJson,
        cachedAt: Date.now(),
      });
    }
  }
}
