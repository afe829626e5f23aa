import type { PgAccounts } from "./pg-accounts.ts";
import { pgPlaceholder, type PgDb } from "./pg-db.ts";
import { insertSql, sessionInsert, toSessionRow, type SessionRecord } from "./store-records.ts";
import type { SessionEnd, SessionRow, SessionStatus } from "./store.ts";

/**
 * Interact sessions on Postgres. Ending a session is one conditional UPDATE (active → destroyed)
 * and its charge, in one transaction: of two nodes ending it at once, one wins and bills.
 */
export class PgSessions {
  readonly #db: PgDb;
  readonly #accounts: PgAccounts;

  constructor(db: PgDb, accounts: PgAccounts) {
    this.#db = db;
    this.#accounts = accounts;
  }

  async insertSession(row: SessionRow): Promise<boolean> {
    const insert = sessionInsert(row);
    const sql = `${insertSql("sessions", insert, pgPlaceholder)} ON CONFLICT DO NOTHING RETURNING id`;
    return (await this.#db.query(sql, insert.values)).length === 1;
  }

  async discardSession(id: string): Promise<void> {
    await this.#db.query(`DELETE FROM sessions WHERE id = $1 AND status = 'active'`, [id]);
  }

  async getSessionByScrape(scrapeId: string): Promise<SessionRow | undefined> {
    const r = await this.#db.one<SessionRecord>(`SELECT * FROM sessions WHERE scrape_id = $1`, [
      scrapeId,
    ]);
    return r && toSessionRow(r);
  }

  async touchSession(id: string, at: number, opts: { usedPrompt?: boolean } = {}): Promise<void> {
    await this.#db.query(
      `UPDATE sessions SET last_activity_at = GREATEST(last_activity_at, $1),
         used_prompt = CASE WHEN $2 = 1 THEN 1 ELSE used_prompt END WHERE id = $3`,
      [at, opts.usedPrompt ? 1 : 0, id],
    );
  }

  async setSessionHostPid(id: string, hostPid: number, at: number): Promise<void> {
    await this.#db.query(
      `UPDATE sessions SET host_pid = $1, last_activity_at = GREATEST(last_activity_at, $2)
       WHERE id = $3`,
      [hostPid, at, id],
    );
  }

  async claimSessionEnded(id: string, end: SessionEnd): Promise<boolean> {
    return this.#db.tx(async (client) => {
      const { rows } = await client.query<{ team_id: string }>(
        `UPDATE sessions SET status = 'destroyed', ended_at = $1, end_reason = $2,
           duration_ms = $3, credits_billed = $4, bytes_in = $5, bytes_out = $6
         WHERE id = $7 AND status = 'active' RETURNING team_id`,
        [
          end.endedAt,
          end.reason,
          end.durationMs,
          end.creditsBilled,
          end.egress?.bytesIn ?? null,
          end.egress?.bytesOut ?? null,
          id,
        ],
      );
      const session = rows[0];
      if (session && end.creditsBilled > 0) {
        const charge = { teamId: session.team_id, delta: -end.creditsBilled, ref: `session:${id}` };
        await this.#accounts.appendLedger(
          { ...charge, reason: "session", createdAt: end.endedAt },
          client,
        );
      }
      return session !== undefined;
    });
  }

  async listActiveSessions(): Promise<SessionRow[]> {
    const rows = await this.#db.query<SessionRecord>(
      `SELECT * FROM sessions WHERE status = 'active'`,
    );
    return rows.map(toSessionRow);
  }

  async getSession(id: string): Promise<SessionRow | undefined> {
    const r = await this.#db.one<SessionRecord>(`SELECT * FROM sessions WHERE id = $1`, [id]);
    return r && toSessionRow(r);
  }

  async listSessions(teamId: string, status?: SessionStatus): Promise<SessionRow[]> {
    const rows = await this.#db.query<SessionRecord>(
      `SELECT * FROM sessions WHERE team_id = $1 AND ($2::text IS NULL OR status = $2)
       ORDER BY created_at DESC, id DESC`,
      [teamId, status ?? null],
    );
    return rows.map(toSessionRow);
  }
}
