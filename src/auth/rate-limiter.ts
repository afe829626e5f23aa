const WINDOW_MS = 60_000;

/** A refused request: Firecrawl's message, and the seconds to wait (for Retry-After). */
export interface RateLimited {
  message: string;
  retryAfterSeconds: number;
}

/** Where a team stands in its current minute. */
interface Window {
  startedAt: number;
  used: number;
}

/**
 * Requests a team may make a minute, counted in fixed one-minute windows. A request over the
 * limit is refused with Firecrawl's message, which says when the window resets.
 */
export class RateLimiter {
  readonly #perMinute: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();

  constructor(perMinute: number, now: () => number = Date.now) {
    this.#perMinute = perMinute;
    this.#now = now;
  }

  /** Counts one request for `teamId`; undefined when allowed, else why and how long to wait. */
  take(teamId: string): RateLimited | undefined {
    const now = this.#now();
    const window = this.#windowOf(teamId, now);
    if (window.used < this.#perMinute) {
      window.used++;
      return undefined;
    }
    const resetsAt = window.startedAt + WINDOW_MS;
    const retryAfterSeconds = Math.max(1, Math.ceil((resetsAt - now) / 1000));
    const message = `Rate limit exceeded. Consumed (req/min): ${window.used}, Remaining (req/min): 0. Upgrade your plan at https://firecrawl.dev/pricing for increased rate limits or please retry after ${retryAfterSeconds}s, resets at ${new Date(resetsAt).toString()}`;
    return { message, retryAfterSeconds };
  }

  #windowOf(teamId: string, now: number): Window {
    let window = this.#windows.get(teamId);
    if (!window || now - window.startedAt >= WINDOW_MS) {
      window = { startedAt: now, used: 0 };
      this.#windows.set(teamId, window);
    }
    return window;
  }
}
