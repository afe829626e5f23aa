import type { PoolClient } from "pg";
import type {
  CancelOutcome,
  ClaimRequest,
  ClaimedJob,
  EventOutcome,
  JobError,
  JobEvent,
  JobFailure,
  JobGroupCounts,
  JobGroupKind,
  JobGroupRow,
  JobKind,
  JobOutcome,
  JobQueue,
  JobSuccess,
  NewPage,
} from "./job-queue.ts";
import type { PgAccounts } from "./pg-accounts.ts";
import { claimJobs } from "./pg-claim.ts";
import { pgPlaceholder, type PgDb } from "./pg-db.ts";
import { PgGroupWrites } from "./pg-group-writes.ts";
import { PgJobEvents } from "./pg-job-events.ts";
import { PgJobReads } from "./pg-job-reads.ts";
import { groupInsert, insertSql, toGroupRow, type GroupRecord } from "./store-records.ts";

/** Group tables a group's deletion clears, besides `job_groups` itself. */
const GROUP_TABLES = ["jobs", "job_urls", "job_pages", "job_events", "job_robots_blocked"];

/**
 * The job queue on Postgres (READ COMMITTED, many connections). Each operation is one
 * transaction, and every change to a group's jobs, counters, pages or events is made while
 * holding the group's row (`FOR UPDATE`), taken before any job row: that serializes completions
 * (so exactly one of them ends the group) and keeps locks in one order, so nothing deadlocks.
 * Claims add per-team advisory locks (pg-claim.ts).
 */
export class PgQueue implements JobQueue {
  readonly #db: PgDb;
  readonly #events: PgJobEvents;
  readonly #reads: PgJobReads;
  readonly #writes: PgGroupWrites;

  constructor(db: PgDb, accounts: PgAccounts) {
    this.#db = db;
    this.#events = new PgJobEvents(db);
    this.#reads = new PgJobReads(db);
    this.#writes = new PgGroupWrites(accounts, this.#events);
  }

  createJobGroup(group: JobGroupRow, first: { kind: JobKind; pages: NewPage[] }): Promise<void> {
    return this.#db.tx(async (client) => {
      const insert = groupInsert(group);
      await client.query(insertSql("job_groups", insert, pgPlaceholder), insert.values);
      await this.#events.record(client, group.id, "started", null, group.createdAt);
      if (first.kind !== "page") {
        await this.#writes.insertJobs(client, group, first.kind, first.pages, group.createdAt);
      } else {
        await this.#writes.enqueue(client, group.id, first.pages, group.createdAt);
      }
    });
  }

  async getJobGroup(id: string): Promise<JobGroupRow | undefined> {
    const r = await this.#db.one<GroupRecord>(`SELECT * FROM job_groups WHERE id = $1`, [id]);
    return r && toGroupRow(r);
  }

  enqueuePages(groupId: string, pages: NewPage[], now: number): Promise<number> {
    return this.#db.tx((client) => this.#writes.enqueue(client, groupId, pages, now));
  }

  /** The visited set's primary key decides: of two racing inserts, one adds the row. */
  async lockUrl(groupId: string, key: string): Promise<boolean> {
    const { rowCount } = await this.#db.pool.query(
      `INSERT INTO job_urls (group_id, url_key) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [groupId, key],
    );
    return rowCount === 1;
  }

  claimJobs(request: ClaimRequest): Promise<ClaimedJob[]> {
    return this.#db.tx((client) => claimJobs(client, request));
  }

  completeJob(job: ClaimedJob, success: JobSuccess): Promise<boolean> {
    return this.#db.tx(async (client) => {
      const group = await this.#writes.lockGroup(client, job.groupId);
      const state = group?.status === "cancelled" ? "cancelled" : "done";
      const at = success.finishedAt;
      if (!(await this.#writes.finish(client, job, state, at, null, null))) return false;
      if (state === "done") await this.#writes.storeSuccess(client, job, success);
      await this.#writes.endIfIdle(client, job.groupId, at);
      return true;
    });
  }

  failJob(job: ClaimedJob, failure: JobFailure): Promise<boolean> {
    return this.#db.tx(async (client) => {
      const cancelled = (await this.#writes.lockGroup(client, job.groupId))?.status === "cancelled";
      const at = failure.finishedAt;
      if (failure.retryInMs !== undefined && !cancelled) {
        return this.#writes.retry(client, job, at + failure.retryInMs);
      }
      const state = cancelled ? "cancelled" : "failed";
      const code = failure.code ?? null;
      if (!(await this.#writes.finish(client, job, state, at, code, failure.error))) return false;
      if (job.kind === "page") await this.#writes.releasePage(client, job, at);
      if (job.kind === "extract" && state === "failed") {
        await this.#writes.failGroup(client, job.groupId, failure.error, at);
      }
      await this.#writes.endIfIdle(client, job.groupId, at);
      return true;
    });
  }

  cancelJobGroup(id: string, now: number): Promise<CancelOutcome> {
    return this.#db.tx(async (client): Promise<CancelOutcome> => {
      const group = await this.#writes.lockGroup(client, id);
      if (!group) return "not-found";
      if (group.status === "completed") return "already-completed";
      await client.query(
        `UPDATE job_groups SET status = 'cancelled', finished_at = $1 WHERE id = $2`,
        [now, id],
      );
      // Upstream sends `completed` for a cancelled job too (spec §2.12).
      if (group.status === "scraping") {
        await this.#events.record(client, id, "completed", null, now);
      }
      await client.query(
        `UPDATE jobs SET state = 'cancelled', finished_at = $1
         WHERE group_id = $2 AND state = 'queued'`,
        [now, id],
      );
      return "cancelled";
    });
  }

  async failJobGroup(id: string, error: string, now: number): Promise<void> {
    await this.#db.query(
      `UPDATE job_groups SET status = 'failed', error = $1, finished_at = $2
       WHERE id = $3 AND status = 'scraping'`,
      [error, now, id],
    );
  }

  deleteExpiredJobGroups(now: number, max: number): Promise<string[]> {
    return this.#db.tx(async (client) => {
      const ids = await expiredGroups(client, now, max);
      if (ids.length === 0) return ids;
      for (const table of GROUP_TABLES) {
        await client.query(`DELETE FROM ${table} WHERE group_id = ANY($1::text[])`, [ids]);
      }
      await client.query(`DELETE FROM job_groups WHERE id = ANY($1::text[])`, [ids]);
      return ids;
    });
  }

  jobGroupCounts(id: string): Promise<JobGroupCounts> {
    return this.#reads.jobGroupCounts(id);
  }

  listJobGroupPages(id: string, skip: number, limit: number): Promise<string[]> {
    return this.#reads.listJobGroupPages(id, skip, limit);
  }

  listJobGroupErrors(id: string): Promise<JobError[]> {
    return this.#reads.listJobGroupErrors(id);
  }

  listRobotsBlocked(id: string): Promise<string[]> {
    return this.#reads.listRobotsBlocked(id);
  }

  listActiveJobGroups(teamId: string, kind: JobGroupKind): Promise<JobGroupRow[]> {
    return this.#reads.listActiveJobGroups(teamId, kind);
  }

  claimJobEvents(request: { now: number; max: number; leaseMs: number }): Promise<JobEvent[]> {
    return this.#events.claimJobEvents(request);
  }

  finishJobEvent(event: JobEvent, outcome: EventOutcome): Promise<void> {
    return this.#events.finishJobEvent(event, outcome);
  }

  getJobOutcome(jobId: string): Promise<JobOutcome | undefined> {
    return this.#events.getJobOutcome(jobId);
  }
}

/**
 * Up to `max` groups past their retention with no job running, locked (SKIP LOCKED: one busy
 * elsewhere waits for the next sweep). The running check is made again once the rows are held:
 * a claim activates a group's job only under its row, but the first statement's view is older.
 */
async function expiredGroups(client: PoolClient, now: number, max: number): Promise<string[]> {
  const idle = `NOT EXISTS (SELECT 1 FROM jobs WHERE group_id = g.id AND state = 'active')`;
  const { rows: locked } = await client.query<{ id: string }>(
    `SELECT id FROM job_groups g WHERE finished_at IS NOT NULL
       AND finished_at + retention_ms <= $1 AND ${idle}
     ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [now, max],
  );
  const { rows: still } = await client.query<{ id: string }>(
    `SELECT id FROM job_groups g WHERE id = ANY($1::text[]) AND ${idle}`,
    [locked.map((r) => r.id)],
  );
  const kept = new Set(still.map((r) => r.id));
  return locked.map((r) => r.id).filter((id) => kept.has(id));
}
