import type Database from "better-sqlite3";
import type { JobError, JobGroupCounts, JobGroupKind, JobGroupRow } from "./job-queue.ts";
import { toGroupRow, type GroupRecord } from "./store-records.ts";

/** What the job endpoints read of a group: counts, documents, errors, the running list. */
export class SqliteJobReads {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  jobGroupCounts(id: string): JobGroupCounts {
    const counts = this.#db
      .prepare(
        `SELECT
           COALESCE(SUM(kind = 'page' AND state IN ('queued', 'active', 'done')), 0) AS total,
           COALESCE(SUM(kind = 'page' AND state = 'done'), 0) AS completed,
           COALESCE(SUM(kind = 'page' AND state = 'failed'), 0) AS failed,
           COALESCE(SUM(state IN ('queued', 'active')), 0) AS unfinished
         FROM jobs WHERE group_id = ?`,
      )
      .get(id) as Omit<JobGroupCounts, "creditsUsed">;
    const credits = this.#db
      .prepare(`SELECT COALESCE(SUM(credits_used), 0) AS c FROM job_pages WHERE group_id = ?`)
      .get(id) as { c: number };
    return { ...counts, creditsUsed: credits.c };
  }

  listJobGroupPages(id: string, skip: number, limit: number): string[] {
    const rows = this.#db
      .prepare(
        `SELECT document FROM job_pages WHERE group_id = ? AND document IS NOT NULL
         ORDER BY seq LIMIT ? OFFSET ?`,
      )
      .all(id, limit, skip) as { document: string }[];
    return rows.map((r) => r.document);
  }

  listJobGroupErrors(id: string): JobError[] {
    const rows = this.#db
      .prepare(
        `SELECT id, url, error_code, error, finished_at FROM jobs
         WHERE group_id = ? AND kind = 'page' AND state IN ('failed', 'cancelled')
           AND error IS NOT NULL AND error_code IS NOT 'SCRAPE_RACED_REDIRECT_ERROR'
         ORDER BY finished_at, id`,
      )
      .all(id) as {
      id: string;
      url: string;
      error_code: string | null;
      error: string;
      finished_at: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      url: r.url,
      code: r.error_code,
      error: r.error,
      finishedAt: r.finished_at,
    }));
  }

  listRobotsBlocked(id: string): string[] {
    const rows = this.#db
      .prepare(`SELECT url FROM job_robots_blocked WHERE group_id = ? ORDER BY url`)
      .all(id) as { url: string }[];
    return rows.map((r) => r.url);
  }

  listActiveJobGroups(teamId: string, kind: JobGroupKind): JobGroupRow[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM job_groups WHERE team_id = ? AND kind = ? AND status = 'scraping'
         ORDER BY created_at, id`,
      )
      .all(teamId, kind) as GroupRecord[];
    return rows.map(toGroupRow);
  }
}
