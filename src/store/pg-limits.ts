import type { PoolClient } from "pg";
import type { CreditHoldRequest, SlotRequest } from "./limits.ts";
import type { PgDb } from "./pg-db.ts";

/**
 * Team slots and credit holds on Postgres. READ COMMITTED alone would let two takes count the
 * same free slot; each take therefore holds the team's advisory lock for its transaction, so
 * takes for one team run one at a time and teams never wait for each other.
 */
export class PgLimits {
  readonly #db: PgDb;

  constructor(db: PgDb) {
    this.#db = db;
  }

  takeSlot(r: SlotRequest): Promise<boolean> {
    return this.#db.tx(async (client) => {
      await lockTeam(client, r.teamId);
      await client.query(`DELETE FROM team_slots WHERE team_id = $1 AND expires_at <= $2`, [
        r.teamId,
        r.now,
      ]);
      const mine = await client.query(`SELECT 1 FROM team_slots WHERE holder = $1`, [r.holder]);
      if (mine.rowCount === 1) return true;
      const { rows } = await client.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM team_slots WHERE team_id = $1 AND kind = $2`,
        [r.teamId, r.kind],
      );
      if ((rows[0]?.n ?? 0) >= r.limit) return false;
      await client.query(
        `INSERT INTO team_slots (holder, team_id, kind, node_id, expires_at)
         VALUES ($1, $2, $3, $4, $5)`,
        [r.holder, r.teamId, r.kind, r.nodeId, r.expiresAt],
      );
      return true;
    });
  }

  async releaseSlot(holder: string): Promise<void> {
    await this.#db.query(`DELETE FROM team_slots WHERE holder = $1`, [holder]);
  }

  holdCredits(r: CreditHoldRequest): Promise<boolean> {
    return this.#db.tx(async (client) => {
      await lockTeam(client, r.teamId);
      await client.query(`DELETE FROM credit_holds WHERE team_id = $1 AND expires_at <= $2`, [
        r.teamId,
        r.now,
      ]);
      const { rows } = await client.query<{ free: number }>(
        `SELECT (SELECT COALESCE(SUM(delta), 0) FROM credit_ledger WHERE team_id = $1)
           - (SELECT COALESCE(SUM(amount), 0) FROM credit_holds WHERE team_id = $1 AND ref <> $2)
           AS free`,
        [r.teamId, r.ref],
      );
      if ((rows[0]?.free ?? 0) < r.amount) return false;
      await client.query(
        `INSERT INTO credit_holds (ref, team_id, amount, node_id, expires_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (ref) DO UPDATE SET amount = excluded.amount, expires_at = excluded.expires_at`,
        [r.ref, r.teamId, r.amount, r.nodeId, r.expiresAt],
      );
      return true;
    });
  }

  async releaseCredits(ref: string): Promise<void> {
    await this.#db.query(`DELETE FROM credit_holds WHERE ref = $1`, [ref]);
  }
}

async function lockTeam(client: PoolClient, teamId: string): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
    `skiff.team-limits:${teamId}`,
  ]);
}
