const WINDOW_MS = 60_000;

/** A refused request: Firecrawl's message, and the seconds to wait (for Retry-After). */
export interface RateLimited {
  message: string;
  retryAfterSeconds: number;
}

/** Counts a team's requests; the in-process window on one node, the store's with several. */
export interface TeamRateLimiter {
  /** Counts one request for `teamId`; undefined when allowed, else why and how long to wait. */
  take(teamId: string): Promise<RateLimited | undefined>;
  close(): Promise<void>;
}

/** Firecrawl's 429 message, which says when the window resets. */
export function rateLimited(consumed: number, resetsAt: number, now: number): RateLimited {
  const retryAfterSeconds = Math.max(1, Math.ceil((resetsAt - now) / 1000));
  const message = `Rate limit exceeded. Consumed (req/min): ${consumed}, Remaining (req/min): 0. Upgrade your plan at https://firecrawl.dev/pricing for increased rate limits or please retry after ${retryAfterSeconds}s, resets at ${new Date(resetsAt).toString()}`;
  return { message, retryAfterSeconds };
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
export class RateLimiter implements TeamRateLimiter {
  readonly #perMinute: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();

  constructor(perMinute: number, now: () => number = Date.now) {
    this.#perMinute = perMinute;
    this.#now = now;
  }

  take(teamId: string): Promise<RateLimited | undefined> {
    return Promise.resolve(this.takeNow(teamId));
  }

  /** `take`, synchronously. */
  takeNow(teamId: string): RateLimited | undefined {
    const now = this.#now();
    const window = this.#windowOf(teamId, now);
    if (window.used < this.#perMinute) {
      window.used++;
      return undefined;
    }
    return rateLimited(window.used, window.startedAt + WINDOW_MS, now);
  }

  close(): Promise<void> {
    return Promise.resolve();
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
