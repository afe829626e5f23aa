import { randomUUID } from "node:crypto";
import { AppError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { sessionCreditEstimate } from "./session-credits.ts";
import { StoreReleases, type Release } from "./release.ts";
import type { NodeIdentity } from "../store/node-identity.ts";

/** `GET /v2/team/credit-usage`'s `data`. Skiff has no billing periods: credits never reset. */
export interface CreditUsage {
  remainingCredits: number;
  planCredits: number;
  billingPeriodStart: null;
  billingPeriodEnd: null;
}

/** What Firecrawl's self-host reports when authentication is bypassed (`mockACUC`). */
const BYPASS_CREDITS = 99_999_999;

/** A hold outlives its work's longest run by this much, should its process die holding it. */
const HOLD_MARGIN_MS = 15 * 60 * 1000;

/**
 * The checks before work starts, against the team's ledger: a scrape needs 1 credit (spec §1.8),
 * a session its estimate (spec §2.3). A check that passes holds what it checked until the work's
 * charge is in the ledger, so two sessions started at once cannot both spend the same credits,
 * on this node or another: holds are store rows, checked and taken in one step. The charges are
 * written by the store, with the scrape's row and with the session's end. With AUTH=none nothing
 * is enforced, as in Firecrawl's self-host.
 */
export class Credits {
  readonly #store: Store;
  readonly #enforced: boolean;
  readonly #node: NodeIdentity;
  readonly #releases = new StoreReleases();

  constructor(store: Store, options: { enforced: boolean; node: NodeIdentity }) {
    this.#store = store;
    this.#enforced = options.enforced;
    this.#node = options.node;
  }

  /**
   * 1 credit for a scrape, held until its row (and charge) is stored; 402 when short. `runsMs`:
   * the longest the scrape can take, after which a hold its process never gave back expires.
   */
  holdForScrape(teamId: string, runsMs = 0): Promise<Release> {
    return this.#hold(teamId, 1, runsMs, () => new AppError("INSUFFICIENT_CREDITS"));
  }

  /** A crawl or batch may start with any credit left; each page is charged as it completes. */
  async requireAny(teamId: string): Promise<void> {
    const release = await this.holdForScrape(teamId);
    release();
  }

  /** An extract starts with `credits` left (upstream's pre-check of 20); its bill comes at its end. */
  async requireAtLeast(teamId: string, credits: number): Promise<void> {
    const release = await this.#hold(
      teamId,
      credits,
      0,
      () => new AppError("INSUFFICIENT_CREDITS"),
    );
    release();
  }

  /** A session's estimate, held until its end is charged; 402 with the estimate when short. */
  holdForSession(teamId: string, ttlSeconds: number): Promise<Release> {
    const needed = sessionCreditEstimate(ttlSeconds);
    return this.#hold(teamId, needed, ttlSeconds * 1000, () => {
      const message = `Insufficient credits for a ${ttlSeconds}s browser session (requires ~${needed} credits). For more credits, you can upgrade your plan at https://firecrawl.dev/pricing.`;
      return new AppError("INSUFFICIENT_SESSION_CREDITS", message);
    });
  }

  async usage(teamId: string): Promise<CreditUsage> {
    const period = { billingPeriodStart: null, billingPeriodEnd: null };
    if (!this.#enforced) {
      return { remainingCredits: BYPASS_CREDITS, planCredits: BYPASS_CREDITS, ...period };
    }
    const { remaining, granted } = await this.#store.teamBalance(teamId);
    return { remainingCredits: remaining, planCredits: granted, ...period };
  }

  async #hold(
    teamId: string,
    credits: number,
    runsMs: number,
    refusal: () => AppError,
  ): Promise<Release> {
    if (!this.#enforced) return () => {};
    await this.#releases.settled();
    const ref = randomUUID();
    const now = Date.now();
    const held = await this.#store.holdCredits({
      ref,
      teamId,
      amount: credits,
      nodeId: this.#node.id,
      now,
      expiresAt: now + runsMs + HOLD_MARGIN_MS,
    });
    if (!held) throw refusal();
    return this.#releases.once(() => this.#store.releaseCredits(ref));
  }
}
