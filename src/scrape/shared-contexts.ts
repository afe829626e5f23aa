import type { EgressCounters } from "../net/egress-proxy.ts";
import type { ContextHandle } from "./pool-contexts.ts";

interface Entry<G> {
  generation: G;
  made: Promise<ContextHandle>;
  users: number;
  /** No longer handed out (idle too long, its browser replaced, or failed); closes when unused. */
  dropped: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

export interface SharedLease {
  handle: ContextHandle;
  /** Once per lease: the page is done with the context. */
  release(): void;
}

export interface SharedContextsOptions {
  /** How long an unused context is kept for the next page of its job. */
  idleMs: number;
  close: (handle: ContextHandle) => Promise<void>;
}

/**
 * Contexts that the pages of one job share, keyed by the job: a crawl is one visitor, with one
 * cookie jar and one cache, and skips the cost of a new context per page. Keys never cross jobs,
 * so different jobs (and teams) never share a context. A context lives on its browser; a job
 * whose browser was replaced gets a new one, and each closes once unused for `idleMs`.
 */
export class SharedContexts<G> {
  readonly #byKey = new Map<string, Entry<G>>();
  /** Every open entry, dropped ones included, so that `closeAll` reaches them all. */
  readonly #open = new Set<Entry<G>>();
  readonly #options: SharedContextsOptions;

  constructor(options: SharedContextsOptions) {
    this.#options = options;
  }

  /** The job's context on `generation`, made by `make` on first use. */
  async acquire(
    key: string,
    generation: G,
    make: () => Promise<ContextHandle>,
  ): Promise<SharedLease> {
    let entry = this.#byKey.get(key);
    if (entry && entry.generation !== generation) {
      this.#drop(key, entry);
      entry = undefined;
    }
    if (!entry) {
      const made = make();
      entry = { generation, made, users: 0, dropped: false, idleTimer: undefined };
      this.#byKey.set(key, entry);
      this.#open.add(entry);
    }
    const used = entry;
    used.users++;
    clearTimeout(used.idleTimer);
    let handle: ContextHandle;
    try {
      handle = await used.made;
    } catch (error) {
      used.users--;
      this.#drop(key, used);
      throw error;
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#release(key, used);
    };
    return { handle, release };
  }

  /** Closes every context (the pool is stopping). */
  async closeAll(): Promise<void> {
    const open = [...this.#open];
    this.#byKey.clear();
    await Promise.all(open.map((entry) => this.#close(entry)));
  }

  /** Contexts open now, in use or idle. */
  get size(): number {
    return this.#open.size;
  }

  #release(key: string, entry: Entry<G>): void {
    if (--entry.users > 0) return;
    if (entry.dropped) return void this.#close(entry);
    entry.idleTimer = setTimeout(() => this.#drop(key, entry), this.#options.idleMs);
    entry.idleTimer.unref();
  }

  #drop(key: string, entry: Entry<G>): void {
    if (this.#byKey.get(key) === entry) this.#byKey.delete(key);
    entry.dropped = true;
    if (entry.users === 0) void this.#close(entry);
  }

  async #close(entry: Entry<G>): Promise<void> {
    clearTimeout(entry.idleTimer);
    if (!this.#open.delete(entry)) return;
    const handle = await entry.made.catch(() => undefined);
    if (handle) await this.#options.close(handle);
  }
}

/** Egress counters of one page in a shared context: what moved since the page began. */
export function countersSince(counters: EgressCounters): EgressCounters {
  const start = { ...counters };
  return {
    get bytesIn() {
      return counters.bytesIn - start.bytesIn;
    },
    get bytesOut() {
      return counters.bytesOut - start.bytesOut;
    },
    get refusals() {
      return counters.refusals - start.refusals;
    },
  };
}
