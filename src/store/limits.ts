/** What a team holds while work runs: a slot of one kind, under its limit. */
export type SlotKind = "session" | "scrape";

export interface SlotRequest {
  /** Unique per holder (a session's or a scrape's id): taking it twice takes one slot. */
  holder: string;
  teamId: string;
  kind: SlotKind;
  /** The team's most slots of this kind at once. */
  limit: number;
  /** The process that holds it; a dead node's slots go with it. */
  nodeId: string;
  now: number;
  /** A slot its holder never gave back (its process died) is free after this. */
  expiresAt: number;
}

/** Credits set aside for work that has started and is not charged yet. */
export interface CreditHoldRequest {
  /** Unique per hold (a scrape's or a session's id). */
  ref: string;
  teamId: string;
  amount: number;
  nodeId: string;
  now: number;
  expiresAt: number;
}

/**
 * Team limits as store rows, so that they hold across processes and nodes: each take is one
 * atomic check-and-insert under the team's lock (SQLite: the write transaction; Postgres: a
 * transaction-scoped advisory lock per team), never a read and a later write.
 */
export interface TeamLimits {
  /** Takes a slot unless the team's live slots of that kind reach the limit; whether it did. */
  takeSlot(request: SlotRequest): Promise<boolean>;
  releaseSlot(holder: string): Promise<void>;
  /** Holds the credits if the team's balance less its live holds covers them; whether it did. */
  holdCredits(request: CreditHoldRequest): Promise<boolean>;
  releaseCredits(ref: string): Promise<void>;
}
