import type { Release } from "../billing/release.ts";
import { StoreSlots } from "../billing/team-slots.ts";
import type { Store } from "../store/store.ts";
import type { NodeIdentity } from "../store/node-identity.ts";

/** A session's team slot outlives its TTL by this much, should its node die holding it. */
const SLOT_MARGIN_MS = 5 * 60 * 1000;

/**
 * What each session holds while it runs, by session id: its team's slot (a store row, so that
 * the team's limit holds on every node) and its credit hold. Both are given back once, at its end.
 */
export class SessionHolds {
  readonly #teamSlots: StoreSlots;
  /** Gives a session's team slot back; taken when its creation starts, given back at its end. */
  readonly #teamReleases = new Map<string, Release>();
  /** Gives a session's credit hold back, once its end is charged. */
  readonly #creditHolds = new Map<string, Release>();

  constructor(store: Store, teamConcurrency: number | undefined, node: NodeIdentity) {
    this.#teamSlots = new StoreSlots(store, { kind: "session", limit: teamConcurrency, node });
  }

  /** Keeps the session's credit hold until `releaseCredits`. */
  keepCredits(sessionId: string, hold: Release): void {
    this.#creditHolds.set(sessionId, hold);
  }

  /** The team's session slot, for the session's TTL and a margin (429 if the team has none). */
  async takeTeamSlot(session: { id: string; teamId: string; ttlMs: number }): Promise<void> {
    const holdMs = session.ttlMs + SLOT_MARGIN_MS;
    const release = await this.#teamSlots.take(session.teamId, session.id, holdMs);
    this.#teamReleases.set(session.id, release);
  }

  releaseTeamSlot(sessionId: string): void {
    release(this.#teamReleases, sessionId);
  }

  releaseCredits(sessionId: string): void {
    release(this.#creditHolds, sessionId);
  }
}

function release(releases: Map<string, Release>, sessionId: string): void {
  releases.get(sessionId)?.();
  releases.delete(sessionId);
}
