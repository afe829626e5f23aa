import { AppError } from "../errors.ts";
import type { SlotKind } from "../store/limits.ts";
import type { Store } from "../store/store.ts";
import { StoreReleases, type Release } from "./release.ts";
import type { NodeIdentity } from "../store/node-identity.ts";

/** Spec §2.3's 429 message: Firecrawl counts sessions and scrapes in one concurrency pool. */
export function concurrencyLimitMessage(limit: number): string {
  return `You have reached the maximum number of concurrent jobs (${limit}). Please wait for existing jobs to complete or destroy browser sessions before creating new ones.`;
}

/**
 * A team's slots of one kind as store rows, so that the limit holds across processes and nodes:
 * taking one is a single atomic check-and-insert in the store. A slot whose process died is free
 * after the `holdMs` it was taken for.
 */
export class StoreSlots {
  readonly #store: Store;
  readonly #options: { kind: SlotKind; limit: number | undefined; node: NodeIdentity };
  readonly #releases = new StoreReleases();

  constructor(
    store: Store,
    options: { kind: SlotKind; limit: number | undefined; node: NodeIdentity },
  ) {
    this.#store = store;
    this.#options = options;
  }

  /** Takes a slot for `holder` (429 when the team has none left); call the result to give it back. */
  async take(teamId: string, holder: string, holdMs: number): Promise<Release> {
    const { kind, limit, node } = this.#options;
    if (limit === undefined) return () => {};
    await this.#releases.settled();
    const now = Date.now();
    const request = { holder, teamId, kind, limit, nodeId: node.id, now, expiresAt: now + holdMs };
    if (!(await this.#store.takeSlot(request))) {
      throw new AppError("SESSION_LIMIT", concurrencyLimitMessage(limit));
    }
    return this.#releases.once(() => this.#store.releaseSlot(holder));
  }
}
