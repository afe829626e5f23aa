import { AppError } from "../errors.ts";
import { Tally, type Release } from "./tally.ts";

/** Spec §2.3's 429 message: Firecrawl counts sessions and scrapes in one concurrency pool. */
export function concurrencyLimitMessage(limit: number): string {
  return `You have reached the maximum number of concurrent jobs (${limit}). Please wait for existing jobs to complete or destroy browser sessions before creating new ones.`;
}

/** How many of something each team runs at once, within `limit` (none: unlimited). */
export class TeamSlots {
  readonly #limit: number | undefined;
  readonly #inUse = new Tally();

  constructor(limit: number | undefined) {
    this.#limit = limit;
  }

  /** Takes a slot for `teamId` (429 when it has none left); call the result to give it back. */
  take(teamId: string): Release {
    if (this.#limit !== undefined && this.#inUse.of(teamId) >= this.#limit) {
      throw new AppError("SESSION_LIMIT", concurrencyLimitMessage(this.#limit));
    }
    return this.#inUse.add(teamId, 1);
  }
}
