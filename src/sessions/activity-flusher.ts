import type { Logger } from "../log.ts";
import type { Store } from "../store/store.ts";

/**
 * A session's last activity, kept in the store for peers (a node that dies is billed to it) on a
 * timer rather than by every call: a call's path has no store write. The first prompt is written
 * at once, since it sets the session's rate. The owner itself bills and expires from memory.
 */
export class ActivityFlusher {
  readonly #store: Store;
  readonly #logger: Logger;
  /** Session id → the latest activity not yet in the store. */
  readonly #pending = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;

  constructor(store: Store, logger: Logger, everyMs: number) {
    this.#store = store;
    this.#logger = logger;
    this.#timer = setInterval(() => void this.flush(), everyMs).unref();
  }

  /** A call started at `at`; `firstPrompt` when it is the session's first prompt. */
  async touch(id: string, at: number, firstPrompt: boolean): Promise<void> {
    if (!firstPrompt) {
      this.#pending.set(id, at);
      return;
    }
    this.#pending.delete(id);
    await this.#store.touchSession(id, at, { usedPrompt: true });
  }

  /** Writes what is pending; a failure is logged and tried again at the next tick. */
  async flush(): Promise<void> {
    const due = [...this.#pending];
    this.#pending.clear();
    for (const [id, at] of due) {
      try {
        await this.#store.touchSession(id, at);
      } catch (err) {
        if (!this.#pending.has(id)) this.#pending.set(id, at);
        this.#logger.warn({ err, sessionId: id }, "session activity not written; retrying");
      }
    }
  }

  /** Stops the timer after a last flush. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
