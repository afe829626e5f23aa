import type { Page } from "playwright-core";
import { launchChromium } from "../browser/chromium.ts";
import type { Config } from "../config.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { EgressCounters, EgressProxy } from "../net/egress-proxy.ts";
import { setAdBlocking } from "./ad-blocker.ts";
import { Generations, type Generation } from "./browser-generations.ts";
import { DEFAULT_CONTEXT_SPEC, isDefaultSpec, type ContextSpec } from "./context-options.ts";
import { outcomeWithin, raceSignal, settleWithin } from "./deadline.ts";
import {
  CLOSE_TIMEOUT_MS,
  closeQuietly,
  openContext,
  openPage,
  type ContextHandle,
  type WarmPage,
} from "./pool-contexts.ts";
import { countersSince, SharedContexts, type SharedLease } from "./shared-contexts.ts";
import { SlotQueue } from "./slot-queue.ts";

export type PoolConfig = Pick<
  Config,
  | "CHROME_PATH"
  | "SCRAPE_CONCURRENCY"
  | "SCRAPE_WARM_CONTEXTS"
  | "BROWSER_RECYCLE_AFTER"
  | "SCRAPE_QUEUE_TIMEOUT_MS"
>;

export interface BrowserPoolOptions {
  config: PoolConfig;
  logger: Logger;
  /** Extra Chromium flags (tests map hosts with `--host-resolver-rules`). */
  extraArgs?: readonly string[];
  /** Each context reaches the network only through its own listener on this proxy. */
  egress?: EgressProxy | undefined;
  /** How long a job's shared context outlives its last page, for the job's next page. */
  sharedIdleMs?: number;
  /** Work someone waits for (session starts): warm contexts are made only while it is idle. */
  yieldTo?: { readonly busy: boolean; idle(): Promise<void> } | undefined;
}

export interface PoolStats {
  scrapesRun: number;
  /** Browsers relaunched after a crash. */
  restarts: number;
  /** Browsers retired after BROWSER_RECYCLE_AFTER scrapes. */
  recycles: number;
  /** Scrapes that got a pre-made context and page. */
  warmHits: number;
  warmAvailable: number;
  inFlight: number;
  queued: number;
  /** Browser processes alive, a retiring one included. */
  browsers: number;
  /** Contexts that jobs' pages share, in use or idle. */
  sharedContexts: number;
}

interface Lease extends WarmPage {
  generation: Generation;
  /** Set when the page is in its job's shared context: only the page closes afterwards. */
  shared?: SharedLease;
}

const WARM_IDLE_MS = 25;
const ABORT_GRACE_MS = 50;
const SHARED_IDLE_MS = 10_000;
const CRASHED =
  "Specified URL is failing to load in the browser. Error code: the browser process exited";

/**
 * One shared Chromium for all scrapes, a fresh context per scrape (the pages of one crawl share
 * theirs), a bounded number at once with a FIFO queue. Contexts for the default spec are made
 * ahead of time and kept warm. The browser is relaunched when it crashes and replaced after
 * BROWSER_RECYCLE_AFTER scrapes (browser-generations.ts).
 */
export class BrowserPool {
  #config: PoolConfig;
  #logger: Logger;
  #extraArgs: readonly string[];
  #egress: EgressProxy | undefined;
  #slots: SlotQueue;
  #state: "idle" | "running" | "stopping" | "stopped" = "idle";
  #generations: Generations;
  #active = 0;
  #onIdle: (() => void) | undefined;
  #warmTimer: NodeJS.Timeout | undefined;
  #warming = false;
  #yieldTo: BrowserPoolOptions["yieldTo"];
  /** Warming waits for `yieldTo` to be idle. */
  #waitingToWarm = false;
  #counts = { scrapesRun: 0, warmHits: 0 };
  #shared: SharedContexts<Generation>;

  constructor(options: BrowserPoolOptions) {
    this.#config = options.config;
    this.#logger = options.logger;
    this.#extraArgs = options.extraArgs ?? [];
    this.#egress = options.egress;
    this.#yieldTo = options.yieldTo;
    this.#slots = new SlotQueue(options.config.SCRAPE_CONCURRENCY);
    this.#generations = new Generations({
      launch: () =>
        launchChromium({
          executablePath: this.#config.CHROME_PATH,
          logger: this.#logger,
          extraArgs: this.#extraArgs,
        }),
      logger: this.#logger,
      isRunning: () => this.#state === "running",
      onReplaced: () => this.#warmWhenIdle(),
    });
    const idleMs = options.sharedIdleMs ?? SHARED_IDLE_MS;
    this.#shared = new SharedContexts({ idleMs, close: closeQuietly });
  }

  /** Resolves once the browser is up and the warm contexts are made. */
  async start(): Promise<void> {
    if (this.#state !== "idle") throw new Error(`BrowserPool.start: pool is ${this.#state}`);
    this.#state = "running";
    await this.#generations.next();
    await this.#warmUp();
  }

  get ready(): boolean {
    return this.#state === "running" && this.#generations.healthy;
  }

  get stats(): PoolStats {
    return {
      ...this.#counts,
      restarts: this.#generations.restarts,
      recycles: this.#generations.recycles,
      warmAvailable: this.#generations.current?.warm.length ?? 0,
      inFlight: this.#active,
      queued: this.#slots.waiting,
      browsers: this.#generations.size,
      sharedContexts: this.#shared.size,
    };
  }

  /**
   * Runs `fn` on a fresh page in a context made for `spec`. The context is closed afterwards,
   * whatever `fn` did. `queuedMs` is the time spent waiting for a slot.
   *
   * With `share`, the page opens in the context of that key instead (made for the first page's
   * spec; one key is one job, with one spec), and only the page closes afterwards.
   */
  async run<T>(
    spec: ContextSpec,
    fn: (page: Page, egress: EgressCounters) => Promise<T>,
    opts: { signal: AbortSignal; label?: string; share?: string },
  ): Promise<{ value: T; queuedMs: number; egress: EgressCounters }> {
    if (this.#state !== "running") throw new AppError("SERVICE_UNAVAILABLE");
    const queuedMs = await this.#slots.acquire(opts.signal, this.#config.SCRAPE_QUEUE_TIMEOUT_MS);
    this.#active++;
    let lease: Lease | undefined;
    try {
      lease = await this.#lease(spec, opts);
      if (lease.egress && opts.label && !lease.shared) lease.egress.label = opts.label;
      const counters = lease.egress?.counters ?? { bytesIn: 0, bytesOut: 0, refusals: 0 };
      const egress = lease.shared ? countersSince(counters) : counters;
      const value = await this.#runOn(lease, (page) => fn(page, egress), opts.signal);
      return { value, queuedMs, egress };
    } finally {
      void this.#settle(lease);
    }
  }

  /** Stops taking work, lets in-flight scrapes finish for up to `graceMs`, closes the browsers. */
  async stop(graceMs: number): Promise<void> {
    if (this.#state === "stopped" || this.#state === "stopping") return;
    this.#state = "stopping";
    clearTimeout(this.#warmTimer);
    this.#slots.rejectAll(new AppError("SERVICE_UNAVAILABLE"));
    if (this.#active > 0) {
      await settleWithin(new Promise<void>((resolve) => (this.#onIdle = resolve)), graceMs);
    }
    await this.#shared.closeAll();
    await this.#generations.closeAll();
    this.#state = "stopped";
  }

  async #lease(spec: ContextSpec, opts: { signal: AbortSignal; share?: string }): Promise<Lease> {
    const generation = await raceSignal(this.#generations.next(), opts.signal);
    generation.inFlight++;
    generation.scrapes++;
    this.#counts.scrapesRun++;
    const recycle = generation.scrapes >= this.#config.BROWSER_RECYCLE_AFTER;
    try {
      if (opts.share) return await this.#sharedPage(generation, spec, opts.share);
      const warm = isDefaultSpec(spec) ? this.#takeWarm(generation) : undefined;
      const page = warm ?? (await this.#newPage(generation, spec));
      return { ...page, generation };
    } catch (error) {
      this.#generations.release(generation);
      throw this.#crashAware(generation, error);
    } finally {
      if (recycle && !generation.retired) this.#generations.retire(generation);
    }
  }

  /** A new page in the job's shared context on `generation`. */
  async #sharedPage(generation: Generation, spec: ContextSpec, key: string): Promise<Lease> {
    const make = () => this.#newContext(generation, spec, `job ${key}`);
    const shared = await this.#shared.acquire(key, generation, make);
    try {
      const page = await openPage(shared.handle, spec);
      return { ...shared.handle, page, generation, shared };
    } catch (error) {
      shared.release();
      throw error;
    }
  }

  async #runOn<T>(lease: Lease, fn: (page: Page) => Promise<T>, signal: AbortSignal): Promise<T> {
    const work = Promise.race([fn(lease.page), lease.generation.lost]);
    try {
      return await raceSignal(work, signal);
    } catch (error) {
      if (!signal.aborted) throw this.#crashAware(lease.generation, error);
      return await outcomeWithin(work, ABORT_GRACE_MS, error);
    }
  }

  /** After a scrape: close its context (or its page, if shared), free the slot, warm once idle. */
  async #settle(lease: Lease | undefined): Promise<void> {
    if (lease?.shared) {
      await settleWithin(lease.page.close(), CLOSE_TIMEOUT_MS);
      lease.shared.release();
    } else if (lease) {
      await closeQuietly(lease);
    }
    if (lease) this.#generations.release(lease.generation);
    this.#slots.release();
    if (--this.#active > 0) return;
    this.#onIdle?.();
    this.#warmWhenIdle();
  }

  #crashAware(generation: Generation, error: unknown): unknown {
    if (generation.browser.isConnected()) return error;
    if (this.#state !== "running")
      return new AppError("SERVICE_UNAVAILABLE", undefined, { cause: error });
    return new AppError("SCRAPE_SITE_ERROR", CRASHED, { cause: error });
  }

  #takeWarm(generation: Generation): WarmPage | undefined {
    let warm: WarmPage | undefined;
    while ((warm = generation.warm.shift())) {
      if (!warm.page.isClosed()) {
        this.#counts.warmHits++;
        return warm;
      }
      void closeQuietly(warm);
    }
    return undefined;
  }

  async #newPage(generation: Generation, spec: ContextSpec): Promise<WarmPage> {
    const handle = await this.#newContext(generation, spec, "warm context");
    try {
      return { ...handle, page: await openPage(handle, spec) };
    } catch (error) {
      void closeQuietly(handle);
      throw error;
    }
  }

  #newContext(generation: Generation, spec: ContextSpec, label: string): Promise<ContextHandle> {
    return openContext(generation.browser, spec, {
      logger: this.#logger,
      egress: this.#egress,
      label,
    });
  }

  /**
   * Warm pages are made while no scrape runs and no session starts: a page is a new tab and
   * renderer, about 100 ms of the browser's main thread, which would slow down the scrapes it is
   * meant to speed up, and take cores from a session's start (session-starts.ts).
   */
  #warmWhenIdle(): void {
    clearTimeout(this.#warmTimer);
    this.#warmTimer = setTimeout(() => void this.#warmUp(), WARM_IDLE_MS);
    this.#warmTimer.unref();
  }

  /**
   * Makes warm pages one at a time until the target is met or a scrape comes in; while a session
   * starts, it waits for the starts to end and begins again.
   */
  async #warmUp(): Promise<void> {
    if (this.#warming) return;
    this.#warming = true;
    try {
      let generation: Generation | undefined;
      while (
        this.#active === 0 &&
        (generation = this.#generations.current) &&
        this.#wantsMore(generation)
      ) {
        if (this.#yieldTo?.busy) return this.#warmAfterStarts(this.#yieldTo);
        if (!(await this.#warmOne(generation))) break;
      }
    } finally {
      this.#warming = false;
    }
  }

  #warmAfterStarts(starts: { idle(): Promise<void> }): void {
    if (this.#waitingToWarm) return;
    this.#waitingToWarm = true;
    void starts.idle().then(() => {
      this.#waitingToWarm = false;
      this.#warmWhenIdle();
    });
  }

  #wantsMore(generation: Generation): boolean {
    return (
      this.#wantsWarm(generation) && generation.warm.length < this.#config.SCRAPE_WARM_CONTEXTS
    );
  }

  #wantsWarm(generation: Generation): boolean {
    return this.#state === "running" && !generation.retired && generation.browser.isConnected();
  }

  /**
   * A page for the default spec, with ad blocking on (Firecrawl's default) and Playwright's
   * helper script already compiled in its renderer, so the scrape pays for neither.
   */
  async #warmOne(generation: Generation): Promise<boolean> {
    try {
      const warm = await this.#newPage(generation, DEFAULT_CONTEXT_SPEC);
      await setAdBlocking(warm.page, true);
      await warm.page.content();
      if (this.#wantsWarm(generation)) generation.warm.push(warm);
      else await closeQuietly(warm);
      return true;
    } catch (error) {
      this.#logger.debug({ err: error }, "could not make a warm context");
      return false;
    }
  }
}
