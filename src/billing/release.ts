/** Gives back what was held (credits, a slot); calling it again does nothing. */
export type Release = () => void;

/**
 * Gives holds back to the store in the background, each once, and remembers the ones on their
 * way: a later take in this process waits for them (`settled`), so that work done one after
 * another never finds its own previous hold still there.
 */
export class StoreReleases {
  readonly #pending = new Set<Promise<void>>();

  async settled(): Promise<void> {
    await Promise.all(this.#pending);
  }

  /** A Release that runs `release` once; one that fails leaves the row to expire. */
  once(release: () => Promise<void>): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const releasing = release().catch(() => undefined);
      this.#pending.add(releasing);
      void releasing.finally(() => this.#pending.delete(releasing));
    };
  }
}
