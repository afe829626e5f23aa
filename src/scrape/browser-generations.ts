import type { Browser } from "playwright-core";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { settleWithin } from "./deadline.ts";
import { CLOSE_TIMEOUT_MS, closeQuietly, type WarmPage } from "./pool-contexts.ts";

/** One Chromium process and the scrapes it has served. */
export interface Generation {
  browser: Browser;
  scrapes: number;
  inFlight: number;
  retired: boolean;
  warm: WarmPage[];
  /** Rejects when the browser goes away, so that nothing waits on a dead page. */
  lost: Promise<never>;
}

export interface GenerationsOptions {
  launch: () => Promise<Browser>;
  logger: Logger;
  /** False once the pool stops: nothing is launched or relaunched then. */
  isRunning: () => boolean;
  /** A new browser is up after a crash or a recycle (time to warm pages on it). */
  onReplaced: () => void;
}

/**
 * The pool's Chromium processes: the current one, launched on first use and relaunched when it
 * crashes, and retired ones (recycled after BROWSER_RECYCLE_AFTER scrapes), each closed with its
 * last scrape.
 */
export class Generations {
  readonly #options: GenerationsOptions;
  #current: Generation | undefined;
  #launching: Promise<Generation> | undefined;
  readonly #all = new Set<Generation>();
  /** The last launch succeeded and no crash has been seen since. */
  healthy = false;
  restarts = 0;
  recycles = 0;

  constructor(options: GenerationsOptions) {
    this.#options = options;
  }

  /** Browser processes alive, retiring ones included. */
  get size(): number {
    return this.#all.size;
  }

  /** The browser new scrapes go to, if one is up. */
  get current(): Generation | undefined {
    return this.#current;
  }

  /** The browser new scrapes go to, launching one if there is none. */
  next(): Promise<Generation> {
    if (this.#current) return Promise.resolve(this.#current);
    this.#launching ??= this.#launch().finally(() => (this.#launching = undefined));
    return this.#launching;
  }

  /** A scrape on `generation` is done; a retired browser closes with its last scrape. */
  release(generation: Generation): void {
    generation.inFlight--;
    if (generation.retired && generation.inFlight === 0) void this.#close(generation);
  }

  /** No new scrapes go to `generation`; it closes once its in-flight scrapes are done. */
  retire(generation: Generation): void {
    generation.retired = true;
    if (this.#current === generation) this.#current = undefined;
    this.recycles++;
    this.#options.logger.info({ scrapes: generation.scrapes }, "recycling chromium");
    for (const warm of generation.warm.splice(0)) void closeQuietly(warm);
    this.#replace();
  }

  /** Closes every browser, one being launched included. */
  async closeAll(): Promise<void> {
    await this.#launching?.catch(() => undefined);
    await Promise.all([...this.#all].map((g) => this.#close(g)));
  }

  async #launch(): Promise<Generation> {
    let browser: Browser;
    try {
      browser = await this.#options.launch();
    } catch (error) {
      this.healthy = false;
      this.#options.logger.error({ err: error }, "chromium failed to launch");
      throw new AppError("SERVICE_UNAVAILABLE", undefined, { cause: error });
    }
    const generation = this.#adopt(browser);
    if (!this.#options.isRunning()) {
      await this.#close(generation);
      throw new AppError("SERVICE_UNAVAILABLE");
    }
    this.#current = generation;
    this.healthy = true;
    return generation;
  }

  #adopt(browser: Browser): Generation {
    let markLost!: (error: Error) => void;
    const lost = new Promise<never>((_, reject) => (markLost = reject));
    lost.catch(() => undefined);
    const generation: Generation = {
      browser,
      lost,
      scrapes: 0,
      inFlight: 0,
      retired: false,
      warm: [],
    };
    this.#all.add(generation);
    browser.on("disconnected", () => {
      markLost(new Error("browser disconnected"));
      this.#onDisconnected(generation);
    });
    return generation;
  }

  #onDisconnected(generation: Generation): void {
    const wasCurrent = this.#current === generation;
    this.#all.delete(generation);
    if (!wasCurrent || !this.#options.isRunning()) return;
    this.#current = undefined;
    this.restarts++;
    this.#options.logger.warn("chromium exited unexpectedly; relaunching");
    this.#replace();
  }

  #replace(): void {
    if (!this.#options.isRunning()) return;
    this.next().then(
      () => this.#options.onReplaced(),
      () => undefined,
    );
  }

  async #close(generation: Generation): Promise<void> {
    generation.retired = true;
    if (this.#current === generation) this.#current = undefined;
    this.#all.delete(generation);
    if (!generation.browser.isConnected()) return;
    const closed = generation.browser.close().catch((error: unknown) => {
      this.#options.logger.warn({ err: error }, "chromium did not close cleanly");
    });
    await settleWithin(closed, CLOSE_TIMEOUT_MS);
  }
}
