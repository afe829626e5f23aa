import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "../log.ts";
import type { SessionHostHandle } from "../sandbox/host-launcher.ts";

/** What the pool needs of a host; the tests give it plain objects. */
export type PooledHost = Pick<SessionHostHandle, "pid" | "isAlive" | "exited" | "stop">;

export interface HostPoolOptions<H extends PooledHost> {
  /** Hosts kept started and opened, waiting for a session. */
  size: number;
  launch: () => Promise<H>;
  logger: Logger;
}

/** After a failed launch the pool waits this long before trying again, doubling up to the max. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 60_000;

/**
 * Session hosts started ahead of demand, so the first interact call on a scrape does not wait
 * for a sandbox and a browser to launch (about a second). `take` hands out a warm host when
 * there is one and launches one otherwise; either way the pool starts refilling.
 */
export class HostPool<H extends PooledHost = SessionHostHandle> {
  readonly #options: HostPoolOptions<H>;
  readonly #ready: H[] = [];
  #launching = 0;
  #retryMs = RETRY_FIRST_MS;
  #closed = false;
  #refills = new Set<Promise<void>>();
  #closing = new AbortController();

  constructor(options: HostPoolOptions<H>) {
    this.#options = options;
  }

  /** Hosts waiting, for logs and tests. */
  get readyCount(): number {
    return this.#ready.length;
  }

  start(): void {
    this.#refill();
  }

  /** A live, opened host now owned by the caller. */
  async take(): Promise<H> {
    if (this.#closed) throw new Error("the session host pool is closed");
    const warm = this.#takeLive();
    this.#refill();
    return warm ?? this.#options.launch();
  }

  /** Stops the waiting hosts and any still launching. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    await Promise.all(this.#refills);
    await Promise.all(this.#ready.splice(0).map((host) => host.stop()));
  }

  #takeLive(): H | undefined {
    let host = this.#ready.shift();
    while (host && !host.isAlive) host = this.#ready.shift();
    return host;
  }

  #refill(): void {
    while (!this.#closed && this.#ready.length + this.#launching < this.#options.size) {
      this.#launching++;
      const refill = this.#launchOne().then((launched) => {
        this.#launching--;
        this.#refills.delete(refill);
        if (!launched) this.#refill();
      });
      this.#refills.add(refill);
    }
  }

  /** True when a host was launched; false after a failure and its back-off wait. */
  async #launchOne(): Promise<boolean> {
    try {
      const host = await this.#options.launch();
      this.#retryMs = RETRY_FIRST_MS;
      if (this.#closed) await host.stop();
      else {
        this.#ready.push(host);
        void host.exited.then(() => this.#forget(host));
      }
      return true;
    } catch (err) {
      this.#options.logger.error({ err, retryInMs: this.#retryMs }, "warm session host failed");
      await delay(this.#retryMs, undefined, { signal: this.#closing.signal }).catch(() => {});
      this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
      return false;
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
