import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "../log.ts";
import type { SessionHostHandle } from "../sandbox/host-launcher.ts";

/** What the pool needs of a host; the tests give it plain objects. */
export type PooledHost = Pick<SessionHostHandle, "pid" | "isAlive" | "exited" | "stop">;

export interface HostPoolOptions<H extends PooledHost> {
  /** Hosts kept started and opened, waiting for a session, whatever the demand. */
  size: number;
  /** After a burst of session starts the pool grows to meet the next one, up to this many. */
  maxSize: number;
  /** How many more hosts fit in memory now; the pool never grows past it. */
  memoryRoom: () => number;
  /** Pool launches at once: growing must not take every core from the sessions in use. */
  maxLaunching: number;
  /**
   * Launches for sessions waiting (beyond the warm hosts) at once; the others queue, first come
   * first served. A start is CPU-bound (~1 s of CPU, more than a core while it runs), so more at
   * once than the cores only delays each of them. Twenty at once on two cores, measured: the
   * last done as late either way (wall 10.0 and 10.1 s, two at a time 9.7 and 10.3 s), the
   * median much sooner two at a time (9.3 and 9.2 s against 5.1 and 5.5 s).
   */
  maxOnDemand: number;
  /**
   * A launch holds its turn at most this long: one that hangs (until its own timeouts, up to
   * ~50 s) does not hold up the sessions queued behind it.
   */
  onDemandTurnMs: number;
  /** A burst is remembered this long; after it without a start the pool shrinks back to `size`. */
  demandMemoryMs: number;
  launch: () => Promise<H>;
  logger: Logger;
}

/** After a failed launch the pool waits this long before trying again, doubling up to the max. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 60_000;
/** Session starts this close together count as one burst. */
const BURST_SPAN_MS = 10_000;
/** The pool grows beyond its size only this long after the last start: between bursts. */
const GROW_QUIET_MS = 1_000;

/**
 * Session hosts started ahead of demand, so the first interact call on a scrape does not wait
 * for a sandbox and a browser to launch. `take` hands out a warm host when there is one and
 * launches one otherwise, `maxOnDemand` at a time. The pool keeps `size` hosts, and after a burst
 * of starts as many as the burst took (within `maxSize` and memory), so that the next burst finds
 * them open; it launches only when no session is waiting for a launch of its own, and shrinks
 * back once the bursts stop.
 */
export class HostPool<H extends PooledHost = SessionHostHandle> {
  readonly #options: HostPoolOptions<H>;
  readonly #ready: H[] = [];
  /** When each recent `take` happened, oldest first. */
  #starts: number[] = [];
  /** No start for GROW_QUIET_MS: the burst is over and the pool may grow. */
  #quiet = true;
  #launching = 0;
  #onDemand = 0;
  #onDemandLaunching = 0;
  #onDemandQueue: (() => void)[] = [];
  #target: number;
  #retryMs = RETRY_FIRST_MS;
  #closed = false;
  #refills = new Set<Promise<void>>();
  #closing = new AbortController();
  #shrinkTimer: NodeJS.Timeout | undefined;
  #growTimer: NodeJS.Timeout | undefined;

  constructor(options: HostPoolOptions<H>) {
    this.#options = options;
    this.#target = options.size;
  }

  /** Hosts waiting, for logs and tests. */
  get readyCount(): number {
    return this.#ready.length;
  }

  /** How many hosts the pool means to keep waiting now. */
  get targetSize(): number {
    return this.#target;
  }

  start(): void {
    this.#refill();
  }

  /** A live, opened host now owned by the caller. */
  async take(): Promise<H> {
    if (this.#closed) throw new Error("the session host pool is closed");
    this.#recordStart();
    const warm = this.#takeLive();
    if (warm) {
      this.#refill();
      return warm;
    }
    this.#onDemand++;
    try {
      const endTurn = await this.#onDemandTurn();
      try {
        if (this.#closed) throw new Error("the session host pool is closed");
        // A host the pool was launching before the burst may have come up meanwhile.
        return this.#takeLive() ?? (await this.#options.launch());
      } finally {
        endTurn();
      }
    } finally {
      this.#onDemand--;
      this.#refill();
    }
  }

  /**
   * Waits for a turn to launch (at most `maxOnDemand` on-demand launches run at once) and returns
   * its end, which hands the turn to the next launch queued. The turn also ends by itself after
   * `onDemandTurnMs`; ending it again does nothing.
   */
  async #onDemandTurn(): Promise<() => void> {
    if (this.#onDemandLaunching < this.#options.maxOnDemand) this.#onDemandLaunching++;
    else await new Promise<void>((resolve) => this.#onDemandQueue.push(resolve));
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      const next = this.#onDemandQueue.shift();
      if (next) next();
      else this.#onDemandLaunching--;
    };
    const timer = setTimeout(end, this.#options.onDemandTurnMs).unref();
    return end;
  }

  /** Stops the waiting hosts and any still launching. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#shrinkTimer);
    clearTimeout(this.#growTimer);
    this.#closing.abort();
    // Sessions waiting for a turn get one at once, and find the pool closed.
    for (const next of this.#onDemandQueue.splice(0)) {
      this.#onDemandLaunching++;
      next();
    }
    await Promise.all(this.#refills);
    await Promise.all(this.#ready.splice(0).map((host) => host.stop()));
  }

  #recordStart(): void {
    const now = Date.now();
    this.#starts = this.#starts.filter((t) => now - t < this.#options.demandMemoryMs);
    this.#starts.push(now);
    this.#quiet = false;
    clearTimeout(this.#growTimer);
    this.#growTimer = setTimeout(() => {
      this.#quiet = true;
      this.#refill();
    }, GROW_QUIET_MS).unref();
    const { size, maxSize, logger } = this.#options;
    const target = Math.max(size, Math.min(maxSize, peakWithin(this.#starts, BURST_SPAN_MS)));
    if (target > this.#target) logger.info({ warmHosts: target }, "warm session pool grows");
    this.#target = Math.max(this.#target, target);
    clearTimeout(this.#shrinkTimer);
    this.#shrinkTimer = setTimeout(() => this.#shrink(), this.#options.demandMemoryMs);
    this.#shrinkTimer.unref();
  }

  /** The bursts are over: back to `size`, stopping the hosts beyond it. */
  #shrink(): void {
    if (this.#closed || this.#target === this.#options.size) return;
    this.#target = this.#options.size;
    this.#starts = [];
    const extra = this.#ready.splice(this.#options.size);
    this.#options.logger.info(
      { warmHosts: this.#target, stopped: extra.length },
      "warm session pool shrinks",
    );
    for (const host of extra) void host.stop();
  }

  #takeLive(): H | undefined {
    let host = this.#ready.shift();
    while (host && !host.isAlive) host = this.#ready.shift();
    return host;
  }

  #refill(): void {
    // A launch now would compete with the ones sessions are waiting for.
    if (this.#closed || this.#onDemand > 0) return;
    while (this.#ready.length + this.#launching < this.#target && this.#canLaunch()) {
      this.#launching++;
      const refill = this.#launchOne().then(() => {
        this.#launching--;
        this.#refills.delete(refill);
        this.#refill();
      });
      this.#refills.add(refill);
    }
  }

  /** Below `size` always; beyond it only between bursts, within the launch limit and memory. */
  #canLaunch(): boolean {
    if (this.#ready.length + this.#launching < this.#options.size) return true;
    return (
      this.#quiet &&
      this.#launching < this.#options.maxLaunching &&
      this.#options.memoryRoom() > this.#launching
    );
  }

  /** Launches one host into the pool; after a failure, waits out the back-off first. */
  async #launchOne(): Promise<void> {
    try {
      const host = await this.#options.launch();
      this.#retryMs = RETRY_FIRST_MS;
      // Closed, or shrunk while this one was launching.
      if (this.#closed || this.#ready.length >= this.#target) await host.stop();
      else {
        this.#ready.push(host);
        void host.exited.then(() => this.#forget(host));
      }
    } catch (err) {
      this.#options.logger.error({ err, retryInMs: this.#retryMs }, "warm session host failed");
      await delay(this.#retryMs, undefined, { signal: this.#closing.signal }).catch(() => {});
      this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
    }
  }

  /** A waiting host died (Chromium crashed, or it missed heartbeats): drop it and launch another. */
  #forget(host: H): void {
    const index = this.#ready.indexOf(host);
    if (index === -1) return;
    this.#ready.splice(index, 1);
    this.#options.logger.warn({ hostPid: host.pid }, "a warm session host exited; replacing it");
    this.#refill();
  }
}

/** The most of `times` (sorted, in ms) that fall within any `spanMs` of each other. */
export function peakWithin(times: readonly number[], spanMs: number): number {
  let peak = 0;
  let first = 0;
  for (let last = 0; last < times.length; last++) {
    while (times[last]! - times[first]! >= spanMs) first++;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}
