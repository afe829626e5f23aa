import { AppError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { sessionCreditEstimate } from "./session-credits.ts";

/** `GET /v2/team/credit-usage`'s `data`. Skiff has no billing periods: credits never reset. */
export interface CreditUsage {
  remainingCredits: number;
  planCredits: number;
  billingPeriodStart: null;
  billingPeriodEnd: null;
}

/** What Firecrawl's self-host reports when authentication is bypassed (`mockACUC`). */
const BYPASS_CREDITS = 99_999_999;

/**
 * The checks before work starts, against the team's ledger: a scrape needs 1 credit (spec §1.8),
 * a session its estimate (spec §2.3). The charges themselves are written by the store, with the
 * scrape's row and with the session's end, so nothing is charged twice or lost between the two.
 * With AUTH=none nothing is enforced, as in Firecrawl's self-host.
 */
export class Credits {
  readonly #store: Store;
  readonly #enforced: boolean;

  constructor(store: Store, options: { enforced: boolean }) {
    this.#store = store;
    this.#enforced = options.enforced;
  }

  async ensureForScrape(teamId: string): Promise<void> {
    if (!this.#enforced) return;
    const { remaining } = await this.#store.teamBalance(teamId);
    if (remaining < 1) throw new AppError("INSUFFICIENT_CREDITS");
  }

  async ensureForSession(teamId: string, ttlSeconds: number): Promise<void> {
    if (!this.#enforced) return;
    const needed = sessionCreditEstimate(ttlSeconds);
    const { remaining } = await this.#store.teamBalance(teamId);
    if (remaining >= needed) return;
    throw new AppError(
      "INSUFFICIENT_SESSION_CREDITS",
      `Insufficient credits for a ${ttlSeconds}s browser session (requires ~${needed} credits). For more credits, you can upgrade your plan at https://firecrawl.dev/pricing.`,
    );
  }

  async usage(teamId: string): Promise<CreditUsage> {
    const period = { billingPeriodStart: null, billingPeriodEnd: null };
    if (!this.#enforced) {
      return { remainingCredits: BYPASS_CREDITS, planCredits: BYPASS_CREDITS, ...period };
    }
    const { remaining, granted } = await this.#store.teamBalance(teamId);
    return { remainingCredits: remaining, planCredits: granted, ...period };
  }
}
