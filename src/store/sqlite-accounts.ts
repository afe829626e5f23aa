import type Database from "better-sqlite3";
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
 * Teams, API keys and the credit ledger on SQLite. Synchronous, so the scrape and session writes
 * of SqliteStore can append their charge inside their own transaction.
 */
export class SqliteAccounts {
  #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  createTeam(row: TeamRow): void {
    this.#db
      .prepare(`INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?)`)
      .run(row.id, row.name, row.createdAt);
  }

  getTeam(id: string): TeamRow | undefined {
    const r = this.#db.prepare(`SELECT * FROM teams WHERE id = ?`).get(id) as
      TeamRecord | undefined;
    return r && toTeamRow(r);
  }

  listTeams(): (TeamRow & TeamBalance)[] {
    const rows = this.#db
      .prepare(
        `SELECT t.*, COALESCE(l.granted, 0) AS granted, COALESCE(l.remaining, 0) AS remaining
         FROM teams t LEFT JOIN (
           SELECT team_id, ${BALANCE_COLUMNS} FROM credit_ledger GROUP BY team_id
         ) l ON l.team_id = t.id
         ORDER BY t.created_at, t.id`,
      )
      .all() as (TeamRecord & TeamBalance)[];
    return rows.map((r) => ({ ...toTeamRow(r), granted: r.granted, remaining: r.remaining }));
  }

  insertApiKey(row: ApiKeyRow): void {
    this.#db
      .prepare(
        `INSERT INTO api_keys (id, team_id, hash, prefix, created_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(row.id, row.teamId, row.hash, row.prefix, row.createdAt, row.revokedAt);
  }

  findApiKey(hash: string): ApiKeyRow | undefined {
    const r = this.#db
      .prepare(`SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL`)
      .get(hash) as ApiKeyRecord | undefined;
    return r && toApiKeyRow(r);
  }

  listApiKeys(teamId: string): ApiKeyRow[] {
    const rows = this.#db
      .prepare(`SELECT * FROM api_keys WHERE team_id = ? ORDER BY created_at, id`)
      .all(teamId) as ApiKeyRecord[];
    return rows.map(toApiKeyRow);
  }

  revokeApiKey(id: string, at: number): boolean {
    const changes = this.#db
      .prepare(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`)
      .run(at, id).changes;
    return changes === 1;
  }

  /** False, changing nothing, when `ref` is in the ledger already. */
  appendLedger(entry: LedgerEntry): boolean {
    if (!Number.isSafeInteger(entry.delta)) {
      throw new RangeError(`ledger delta must be a whole number, got ${entry.delta}`);
    }
    const changes = this.#db
      .prepare(
        `INSERT INTO credit_ledger (team_id, delta, reason, ref, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (ref) DO NOTHING`,
      )
      .run(entry.teamId, entry.delta, entry.reason, entry.ref, entry.createdAt).changes;
    return changes === 1;
  }

  ledger(teamId: string): LedgerEntry[] {
    const rows = this.#db
      .prepare(`SELECT * FROM credit_ledger WHERE team_id = ? ORDER BY id`)
      .all(teamId) as LedgerRecord[];
    return rows.map((r) => ({
      teamId: r.team_id,
      delta: r.delta,
      reason: r.reason,
      ref: r.ref,
      createdAt: r.created_at,
    }));
  }

  teamBalance(teamId: string): TeamBalance {
    return this.#db
      .prepare(`SELECT ${BALANCE_COLUMNS} FROM credit_ledger WHERE team_id = ?`)
      .get(teamId) as TeamBalance;
  }
}
