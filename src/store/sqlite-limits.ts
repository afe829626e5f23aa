import type Database from "better-sqlite3";
import type { CreditHoldRequest, SlotRequest } from "./limits.ts";

/**
 * Team slots and credit holds on SQLite. Each take is one write transaction: SQLite has a single
 * writer, so the count and the insert cannot interleave with another take.
 */
export class SqliteLimits {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  takeSlot(r: SlotRequest): boolean {
    return this.#db
      .transaction(() => {
        this.#db
          .prepare(`DELETE FROM team_slots WHERE team_id = ? AND expires_at <= ?`)
          .run(r.teamId, r.now);
        const mine = this.#db.prepare(`SELECT 1 FROM team_slots WHERE holder = ?`).get(r.holder);
        if (mine) return true;
        const { n } = this.#db
          .prepare(`SELECT COUNT(*) AS n FROM team_slots WHERE team_id = ? AND kind = ?`)
          .get(r.teamId, r.kind) as { n: number };
        if (n >= r.limit) return false;
        this.#db
          .prepare(
            `INSERT INTO team_slots (holder, team_id, kind, node_id, expires_at)
           VALUES (?, ?, ?, ?, ?)`,
          )
          .run(r.holder, r.teamId, r.kind, r.nodeId, r.expiresAt);
        return true;
      })
      .immediate();
  }

  releaseSlot(holder: string): void {
    this.#db.prepare(`DELETE FROM team_slots WHERE holder = ?`).run(holder);
  }

  holdCredits(r: CreditHoldRequest): boolean {
    return this.#db
      .transaction(() => {
        this.#db
          .prepare(`DELETE FROM credit_holds WHERE team_id = ? AND expires_at <= ?`)
          .run(r.teamId, r.now);
        const { free } = this.#db
          .prepare(
            `SELECT (SELECT COALESCE(SUM(delta), 0) FROM credit_ledger WHERE team_id = ?)
             - (SELECT COALESCE(SUM(amount), 0) FROM credit_holds WHERE team_id = ? AND ref <> ?)
             AS free`,
          )
          .get(r.teamId, r.teamId, r.ref) as { free: number };
        if (free < r.amount) return false;
        this.#db
          .prepare(
            `INSERT INTO credit_holds (ref, team_id, amount, node_id, expires_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (ref) DO UPDATE SET amount = excluded.amount, expires_at = excluded.expires_at`,
          )
          .run(r.ref, r.teamId, r.amount, r.nodeId, r.expiresAt);
        return true;
      })
      .immediate();
  }

  releaseCredits(ref: string): void {
    this.#db.prepare(`DELETE FROM credit_holds WHERE ref = ?`).run(ref);
  }
}
