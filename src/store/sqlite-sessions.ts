import type Database from "better-sqlite3";
import type { SqliteAccounts } from "./sqlite-accounts.ts";
import { insertSql, sessionInsert, toSessionRow, type SessionRecord } from "./store-records.ts";
import type { SessionEnd, SessionRow, SessionStatus } from "./store.ts";

/**
 * Interact sessions on SQLite. Synchronous; ending a session appends its charge to the ledger
 * in the same transaction, so a session is billed exactly once.
 */
export class SqliteSessions {
  #db: Database.Database;
  #accounts: SqliteAccounts;

  constructor(db: Database.Database, accounts: SqliteAccounts) {
    this.#db = db;
    this.#accounts = accounts;
  }

  insertSession(row: SessionRow): boolean {
    const insert = sessionInsert(row);
    const sql = `${insertSql("sessions", insert, () => "?")} ON CONFLICT DO NOTHING`;
    return this.#db.prepare(sql).run(...insert.values).changes === 1;
  }

  discardSession(id: string): void {
    this.#db.prepare(`DELETE FROM sessions WHERE id = ? AND status = 'active'`).run(id);
  }

  getSessionByScrape(scrapeId: string): SessionRow | undefined {
    const r = this.#db.prepare(`SELECT * FROM sessions WHERE scrape_id = ?`).get(scrapeId) as
      SessionRecord | undefined;
    return r && toSessionRow(r);
  }

  touchSession(id: string, at: number, opts: { usedPrompt?: boolean } = {}): void {
    this.#db
      .prepare(
        `UPDATE sessions SET last_activity_at = max(last_activity_at, ?),
           used_prompt = used_prompt OR ? WHERE id = ?`,
      )
      .run(at, opts.usedPrompt ? 1 : 0, id);
  }

  setSessionHostPid(id: string, hostPid: number, at: number): void {
    this.#db
      .prepare(
        `UPDATE sessions SET host_pid = ?, last_activity_at = max(last_activity_at, ?) WHERE id = ?`,
      )
      .run(hostPid, at, id);
  }

  claimSessionEnded(id: string, end: SessionEnd): boolean {
    const claimed = this.#db.transaction(() => {
      const session = this.#markEnded(id, end);
      if (session && end.creditsBilled > 0) {
        const ref = `session:${id}`;
        const charge = { teamId: session.team_id, delta: -end.creditsBilled, ref };
        this.#accounts.appendLedger({ ...charge, reason: "session", createdAt: end.endedAt });
      }
      return session !== undefined;
    })();
    return claimed;
  }

  /** The session's team when this call moved it from active to destroyed; else undefined. */
  #markEnded(id: string, end: SessionEnd): { team_id: string } | undefined {
    return this.#db
      .prepare(
        `UPDATE sessions SET status = 'destroyed', ended_at = ?, end_reason = ?, duration_ms = ?,
           credits_billed = ?, bytes_in = ?, bytes_out = ? WHERE id = ? AND status = 'active'
         RETURNING team_id`,
      )
      .get(
        end.endedAt,
        end.reason,
        end.durationMs,
        end.creditsBilled,
        end.egress?.bytesIn ?? null,
        end.egress?.bytesOut ?? null,
        id,
      ) as { team_id: string } | undefined;
  }

  listActiveSessions(): SessionRow[] {
    const rows = this.#db
      .prepare(`SELECT * FROM sessions WHERE status = 'active'`)
      .all() as SessionRecord[];
    return rows.map(toSessionRow);
  }

  getSession(id: string): SessionRow | undefined {
    const r = this.#db.prepare(`SELECT * FROM sessions WHERE id = ?`).get(id) as
      SessionRecord | undefined;
    return r && toSessionRow(r);
  }

  listSessions(teamId: string, status?: SessionStatus): SessionRow[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM sessions WHERE team_id = ? AND (? IS NULL OR status = ?)
         ORDER BY created_at DESC, id DESC`,
      )
      .all(teamId, status ?? null, status ?? null) as SessionRecord[];
    return rows.map(toSessionRow);
  }
}
