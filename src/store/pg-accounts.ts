import type { PgDb, Queryable } from "./pg-db.ts";
import {
  BALANCE_COLUMNS,
  toApiKeyRow,
  toTeamRow,
  type ApiKeyRecord,
  type LedgerRecord,
  type TeamRecord,
} from "./store-records.ts";
import type { ApiKeyRow, LedgerEntry, TeamBalance, TeamRow } from "./store.ts";

/**
 * Teams, API keys and the credit ledger on Postgres. `appendLedger` takes the transaction's client
 * so that a scrape's, a session's or a page's charge commits with its row.
 */
export class PgAccounts {
  readonly #db: PgDb;

  constructor(db: PgDb) {
    this.#db = db;
  }

  async createTeam(row: TeamRow): Promise<void> {
    await this.#db.query(`INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)`, [
      row.id,
      row.name,
      row.createdAt,
    ]);
  }

  async getTeam(id: string): Promise<TeamRow | undefined> {
    const r = await this.#db.one<TeamRecord>(`SELECT * FROM teams WHERE id = $1`, [id]);
    return r && toTeamRow(r);
  }

  async listTeams(): Promise<(TeamRow & TeamBalance)[]> {
    const rows = await this.#db.query<TeamRecord & TeamBalance>(
      `SELECT t.*, COALESCE(l.granted, 0) AS granted, COALESCE(l.remaining, 0) AS remaining
       FROM teams t LEFT JOIN (
         SELECT team_id, ${BALANCE_COLUMNS} FROM credit_ledger GROUP BY team_id
       ) l ON l.team_id = t.id
       ORDER BY t.created_at, t.id`,
    );
    return rows.map((r) => ({ ...toTeamRow(r), granted: r.granted, remaining: r.remaining }));
  }

  async insertApiKey(row: ApiKeyRow): Promise<void> {
    await this.#db.query(
      `INSERT INTO api_keys (id, team_id, hash, prefix, created_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [row.id, row.teamId, row.hash, row.prefix, row.createdAt, row.revokedAt],
    );
  }

  async findApiKey(hash: string): Promise<ApiKeyRow | undefined> {
    const r = await this.#db.one<ApiKeyRecord>(
      `SELECT * FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    return r && toApiKeyRow(r);
  }

  async listApiKeys(teamId: string): Promise<ApiKeyRow[]> {
    const rows = await this.#db.query<ApiKeyRecord>(
      `SELECT * FROM api_keys WHERE team_id = $1 ORDER BY created_at, id`,
      [teamId],
    );
    return rows.map(toApiKeyRow);
  }

  async revokeApiKey(id: string, at: number): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING id`,
      [at, id],
    );
    return rows.length === 1;
  }

  /** False, changing nothing, when `ref` is in the ledger already. `q`: the caller's transaction. */
  async appendLedger(entry: LedgerEntry, q: Queryable = this.#db.pool): Promise<boolean> {
    if (!Number.isSafeInteger(entry.delta)) {
      throw new RangeError(`ledger delta must be a whole number, got ${entry.delta}`);
    }
    const { rowCount } = await q.query(
      `INSERT INTO credit_ledger (team_id, delta, reason, ref, created_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ref) DO NOTHING`,
      [entry.teamId, entry.delta, entry.reason, entry.ref, entry.createdAt],
    );
    return rowCount === 1;
  }

  async ledger(teamId: string): Promise<LedgerEntry[]> {
    const rows = await this.#db.query<LedgerRecord>(
      `SELECT * FROM credit_ledger WHERE team_id = $1 ORDER BY id`,
      [teamId],
    );
    return rows.map((r) => ({
      teamId: r.team_id,
      delta: r.delta,
      reason: r.reason,
      ref: r.ref,
      createdAt: r.created_at,
    }));
  }

  async teamBalance(teamId: string): Promise<TeamBalance> {
    const r = await this.#db.one<TeamBalance>(
      `SELECT ${BALANCE_COLUMNS} FROM credit_ledger WHERE team_id = $1`,
      [teamId],
    );
    return r ?? { granted: 0, remaining: 0 };
  }
}
