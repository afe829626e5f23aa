import { AppError } from "../errors.ts";

/** Spec §2.3's 429 message: Firecrawl counts sessions and scrapes in one concurrency pool. */
export function concurrencyLimitMessage(limit: number): string {
  return `You have reached the maximum number of concurrent jobs (${limit}). Please wait for existing jobs to complete or destroy browser sessions before creating new ones.`;
}

/** How many of something each team runs at once, within `limit` (none: unlimited). */
export class TeamSlots {
  readonly #limit: number | undefined;
  readonly #inUse = new Map<string, number>();

  constructor(limit: number | undefined) {
    this.#limit = limit;
  }

  /** Takes a slot for `teamId` (429 when it has none left); call the result to give it back. */
  take(teamId: string): () => void {
    const used = this.#inUse.get(teamId) ?? 0;
    if (this.#limit !== undefined && used >= this.#limit) {
      throw new AppError("SESSION_LIMIT", concurrencyLimitMessage(this.#limit));
    }
    this.#inUse.set(teamId, used + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#inUse.get(teamId) ?? 1) - 1;
      if (left > 0) this.#inUse.set(teamId, left);
      else this.#inUse.delete(teamId);
    };
  }
}
