import { toSnapshot, type PageSnapshot, type SnapshotRecord } from "./change-history.ts";
import type { PgDb } from "./pg-db.ts";

/** Change-tracking snapshots on Postgres: one upsert, so nodes writing at once keep the newest. */
export class PgChangeHistory {
  readonly #db: PgDb;

  constructor(db: PgDb) {
    this.#db = db;
  }

  async lastSnapshot(teamId: string, url: string, tag: string): Promise<PageSnapshot | undefined> {
    const r = await this.#db.one<SnapshotRecord>(
      `SELECT * FROM change_history WHERE team_id = $1 AND url = $2 AND tag = $3`,
      [teamId, url, tag],
    );
    return r && toSnapshot(r);
  }

  async putSnapshot(s: PageSnapshot): Promise<void> {
    await this.#db.query(
      `INSERT INTO change_history (team_id, url, tag, markdown, scraped_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (team_id, url, tag) DO UPDATE SET
         markdown = excluded.markdown, scraped_at = excluded.scraped_at
       WHERE change_history.scraped_at <= excluded.scraped_at`,
      [s.teamId, s.url, s.tag, s.markdown, s.scrapedAt],
    );
  }
}
