import type { JobError, JobGroupCounts, JobGroupKind, JobGroupRow } from "./job-queue.ts";
import type { PgDb } from "./pg-db.ts";
import { toGroupRow, type GroupRecord } from "./store-records.ts";

/**
 * What the job endpoints read of a group: counts, documents, errors, the running list. Text ties
 * are broken with COLLATE "C", SQLite's bytewise order, whatever the database's locale.
 */
export class PgJobReads {
  readonly #db: PgDb;

  constructor(db: PgDb) {
    this.#db = db;
  }

  async jobGroupCounts(id: string): Promise<JobGroupCounts> {
    const counts = await this.#db.one<JobGroupCounts>(
      `SELECT
         COUNT(*) FILTER (WHERE kind = 'page' AND state IN ('queued', 'active', 'done')) AS total,
         COUNT(*) FILTER (WHERE kind = 'page' AND state = 'done') AS completed,
         COUNT(*) FILTER (WHERE kind = 'page' AND state = 'failed') AS failed,
         (SELECT COALESCE(SUM(credits_used), 0) FROM job_pages WHERE group_id = $1)
           AS "creditsUsed",
         COUNT(*) FILTER (WHERE state IN ('queued', 'active')) AS unfinished
       FROM jobs WHERE group_id = $1`,
      [id],
    );
    return counts ?? { total: 0, completed: 0, failed: 0, creditsUsed: 0, unfinished: 0 };
  }

  /** In finishing order: a group's pages are stored under its row lock, so `seq` is commit order. */
  async listJobGroupPages(id: string, skip: number, limit: number): Promise<string[]> {
    const rows = await this.#db.query<{ document: string }>(
      `SELECT document FROM job_pages WHERE group_id = $1 AND document IS NOT NULL
       ORDER BY seq LIMIT $2 OFFSET $3`,
      [id, limit, skip],
    );
    return rows.map((r) => r.document);
  }

  async listJobGroupErrors(id: string): Promise<JobError[]> {
    const rows = await this.#db.query<{
      id: string;
      url: string;
      error_code: string | null;
      error: string;
      finished_at: number;
    }>(
      `SELECT id, url, error_code, error, finished_at FROM jobs
       WHERE group_id = $1 AND kind = 'page' AND state IN ('failed', 'cancelled')
         AND error IS NOT NULL AND error_code IS DISTINCT FROM 'SCRAPE_RACED_REDIRECT_ERROR'
       ORDER BY finished_at, id COLLATE "C"`,
      [id],
    );
    return rows.map((r) => ({
      id: r.id,
      url: r.url,
      code: r.error_code,
      error: r.error,
      finishedAt: r.finished_at,
    }));
  }

  async listRobotsBlocked(id: string): Promise<string[]> {
    const rows = await this.#db.query<{ url: string }>(
      `SELECT url FROM job_robots_blocked WHERE group_id = $1 ORDER BY url COLLATE "C"`,
      [id],
    );
    return rows.map((r) => r.url);
  }

  async listActiveJobGroups(teamId: string, kind: JobGroupKind): Promise<JobGroupRow[]> {
    const rows = await this.#db.query<GroupRecord>(
      `SELECT * FROM job_groups WHERE team_id = $1 AND kind = $2 AND status = 'scraping'
       ORDER BY created_at, id COLLATE "C"`,
      [teamId, kind],
    );
    return rows.map(toGroupRow);
  }
}
