import type Database from "better-sqlite3";
import { toSnapshot, type PageSnapshot, type SnapshotRecord } from "./change-history.ts";

/** Change-tracking snapshots on SQLite. Synchronous. */
export class SqliteChangeHistory {
  #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  lastSnapshot(teamId: string, url: string, tag: string): PageSnapshot | undefined {
    const r = this.#db
      .prepare(`SELECT * FROM change_history WHERE team_id = ? AND url = ? AND tag = ?`)
      .get(teamId, url, tag) as SnapshotRecord | undefined;
    return r && toSnapshot(r);
  }

  putSnapshot(s: PageSnapshot): void {
    this.#db
      .prepare(
        `INSERT INTO change_history (team_id, url, tag, markdown, scraped_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (team_id, url, tag) DO UPDATE SET
           markdown = excluded.markdown, scraped_at = excluded.scraped_at
         WHERE change_history.scraped_at <= excluded.scraped_at`,
      )
      .run(s.teamId, s.url, s.tag, s.markdown, s.scrapedAt);
  }
}
