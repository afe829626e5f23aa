import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { v7 as uuidv7 } from "uuid";
import type {
  CancelOutcome,
  ClaimRequest,
  ClaimedJob,
  JobFailure,
  JobGroupRow,
  JobKind,
  JobSuccess,
  NewPage,
} from "./job-queue.ts";
import type { SqliteAccounts } from "./sqlite-accounts.ts";
import { groupInsert, insertSql, toGroupRow, type GroupRecord } from "./store-records.ts";
import { SqliteJobEvents } from "./sqlite-job-events.ts";
import {
  ClaimLimits,
  pickFairly,
  toClaimed,
  type CandidateJob,
  type GroupLoad,
} from "./claim-rules.ts";

type JobRecord = CandidateJob;

/** How many queued jobs one claim looks at per job it may hand out. */
const CANDIDATES_PER_SLOT = 20;

/**
 * The job queue on SQLite. One writer at a time, so each operation is a plain transaction; the
 * claim's checks (team limit, a group's concurrency and delay) run inside it.
 */
export class SqliteQueue {
  readonly #db: Database.Database;
  readonly #accounts: SqliteAccounts;
  readonly #events: SqliteJobEvents;

  constructor(db: Database.Database, accounts: SqliteAccounts) {
    this.#db = db;
    this.#accounts = accounts;
    this.#events = new SqliteJobEvents(db);
  }

  /** The webhook outbox these jobs write to. */
  get events(): SqliteJobEvents {
    return this.#events;
  }

  createJobGroup(group: JobGroupRow, first: { kind: JobKind; pages: NewPage[] }): void {
    this.#db.transaction(() => {
      const insert = groupInsert(group);
      this.#db.prepare(insertSql("job_groups", insert, () => "?")).run(...insert.values);
      this.#events.record(group.id, "started", null, group.createdAt);
      if (first.kind !== "page") {
        for (const page of first.pages) this.#insertJob(group, first.kind, page, group.createdAt);
      } else {
        this.#enqueue(group.id, first.pages, group.createdAt);
      }
    })();
  }

  getJobGroup(id: string): JobGroupRow | undefined {
    const r = this.#db.prepare(`SELECT * FROM job_groups WHERE id = ?`).get(id) as
      GroupRecord | undefined;
    return r && toGroupRow(r);
  }

  enqueuePages(groupId: string, pages: NewPage[], now: number): number {
    return this.#db.transaction(() => this.#enqueue(groupId, pages, now))();
  }

  lockUrl(groupId: string, key: string): boolean {
    return (
      this.#db
        .prepare(`INSERT INTO job_urls (group_id, url_key) VALUES (?, ?) ON CONFLICT DO NOTHING`)
        .run(groupId, key).changes === 1
    );
  }

  claimJobs(request: ClaimRequest): ClaimedJob[] {
    return this.#db.transaction(() => {
      const picked = this.#pick(request);
      return picked.map((job) => this.#lease(job, request));
    })();
  }

  completeJob(job: ClaimedJob, success: JobSuccess): boolean {
    return this.#db.transaction(() => {
      const group = this.#groupOf(job.groupId);
      const state = group?.status === "cancelled" ? "cancelled" : "done";
      if (!this.#finish(job, state, success.finishedAt, null, null)) return false;
      if (state === "done" && job.kind !== "kickoff") this.#storePage(job, success);
      if (state === "done" && job.kind === "page") {
        this.#events.record(job.groupId, "page", job.id, success.finishedAt);
      }
      if (state === "done" && success.links.length > 0) {
        this.#enqueue(job.groupId, success.links, success.finishedAt);
      }
      if (state === "done") this.#recordBlocked(job.groupId, success.robotsBlocked ?? []);
      this.#endIfIdle(job.groupId, success.finishedAt);
      return true;
    })();
  }

  failJob(job: ClaimedJob, failure: JobFailure): boolean {
    return this.#db.transaction(() => {
      const cancelled = this.#groupOf(job.groupId)?.status === "cancelled";
      if (failure.retryInMs !== undefined && !cancelled) {
        return this.#retry(job, failure.finishedAt + failure.retryInMs);
      }
      const state = cancelled ? "cancelled" : "failed";
      const code = failure.code ?? null;
      if (!this.#finish(job, state, failure.finishedAt, code, failure.error)) return false;
      if (job.kind === "page") {
        this.#db
          .prepare(`UPDATE job_groups SET counted = counted - 1 WHERE id = ?`)
          .run(job.groupId);
        this.#events.record(job.groupId, "page", job.id, failure.finishedAt);
      }
      if (job.kind === "extract" && state === "failed") {
        this.failJobGroup(job.groupId, failure.error, failure.finishedAt);
        this.#events.record(job.groupId, "completed", null, failure.finishedAt);
      }
      this.#endIfIdle(job.groupId, failure.finishedAt);
      return true;
    })();
  }

  cancelJobGroup(id: string, now: number): CancelOutcome {
    return this.#db.transaction((): CancelOutcome => {
      const group = this.#groupOf(id);
      if (!group) return "not-found";
      if (group.status === "completed") return "already-completed";
      this.#db
        .prepare(`UPDATE job_groups SET status = 'cancelled', finished_at = ? WHERE id = ?`)
        .run(now, id);
      // Upstream sends `completed` for a cancelled job too (spec §2.12).
      if (group.status === "scraping") this.#events.record(id, "completed", null, now);
      this.#db
        .prepare(
          `UPDATE jobs SET state = 'cancelled', finished_at = ? WHERE group_id = ? AND state = 'queued'`,
        )
        .run(now, id);
      return "cancelled";
    })();
  }

  failJobGroup(id: string, error: string, now: number): void {
    this.#db
      .prepare(
        `UPDATE job_groups SET status = 'failed', error = ?, finished_at = ?
         WHERE id = ? AND status = 'scraping'`,
      )
      .run(error, now, id);
  }

  deleteExpiredJobGroups(now: number, max: number): string[] {
    return this.#db.transaction(() => {
      const ids = (
        this.#db
          .prepare(
            `SELECT id FROM job_groups g WHERE finished_at IS NOT NULL
               AND finished_at + retention_ms <= ?
               AND NOT EXISTS (SELECT 1 FROM jobs WHERE group_id = g.id AND state = 'active')
             ORDER BY finished_at LIMIT ?`,
          )
          .all(now, max) as { id: string }[]
      ).map((r) => r.id);
      const tables = ["jobs", "job_urls", "job_pages", "job_events", "job_robots_blocked"];
      for (const id of ids) {
        for (const table of tables) {
          this.#db.prepare(`DELETE FROM ${table} WHERE group_id = ?`).run(id);
        }
        this.#db.prepare(`DELETE FROM job_groups WHERE id = ?`).run(id);
      }
      return ids;
    })();
  }

  #recordBlocked(groupId: string, urls: string[]): void {
    const insert = this.#db.prepare(
      `INSERT INTO job_robots_blocked (group_id, url) VALUES (?, ?) ON CONFLICT DO NOTHING`,
    );
    for (const url of urls) insert.run(groupId, url);
  }

  /** Queued jobs due now, round-robin over teams, within each team's and group's limits. */
  #pick(request: ClaimRequest): JobRecord[] {
    const kinds = request.kinds ?? ["kickoff", "page", "extract"];
    const candidates = this.#db
      .prepare(
        // The first due jobs of every team, not of the queue: a team with a long queue must not
        // push the others' jobs out of the claim's view.
        `SELECT id, group_id, team_id, kind, url, depth, attempts FROM (
           SELECT j.*, ROW_NUMBER() OVER (PARTITION BY j.team_id ORDER BY j.run_after, j.id) AS n
           FROM jobs j
           WHERE ((j.state = 'queued' AND j.run_after <= ?)
               OR (j.state = 'active' AND j.lease_expires_at <= ?))
             AND j.kind IN (SELECT value FROM json_each(?)))
         WHERE n <= ? ORDER BY run_after, id`,
      )
      .all(
        request.now,
        request.now,
        JSON.stringify(kinds),
        request.max * CANDIDATES_PER_SLOT,
      ) as JobRecord[];
    return pickFairly(candidates, this.#limits(request, candidates), request.max);
  }

  /** The running counts a claim needs: of each candidate's team, and of each page's group. */
  #limits(request: ClaimRequest, candidates: CandidateJob[]): ClaimLimits {
    const ids = (values: string[]) => JSON.stringify([...new Set(values)]);
    const teams = this.#db
      .prepare(
        `SELECT team_id, COUNT(*) AS n FROM jobs
         WHERE team_id IN (SELECT value FROM json_each(?)) AND state = 'active' GROUP BY team_id`,
      )
      .all(ids(candidates.map((job) => job.team_id))) as { team_id: string; n: number }[];
    const pages = candidates.filter((job) => job.kind === "page");
    const groups = this.#db
      .prepare(
        `SELECT g.id, g.max_concurrency AS max, g.delay_ms AS delayMs,
           g.next_start_at AS nextStartAt,
           (SELECT COUNT(*) FROM jobs
            WHERE group_id = g.id AND state = 'active' AND kind = 'page') AS active
         FROM job_groups g WHERE g.id IN (SELECT value FROM json_each(?))`,
      )
      .all(ids(pages.map((job) => job.group_id))) as (GroupLoad & { id: string })[];
    return new ClaimLimits(
      request,
      new Map(teams.map((t) => [t.team_id, t.n])),
      new Map(groups.map((g) => [g.id, g])),
    );
  }

  #lease(job: JobRecord, request: ClaimRequest): ClaimedJob {
    const leaseToken = randomUUID();
    this.#db
      .prepare(
        `UPDATE jobs SET state = 'active', attempts = attempts + 1, lease_owner = ?,
           lease_token = ?, lease_expires_at = ? WHERE id = ?`,
      )
      .run(request.owner, leaseToken, request.now + request.leaseMs, job.id);
    if (job.kind === "page") {
      this.#db
        .prepare(`UPDATE job_groups SET next_start_at = ? + delay_ms WHERE id = ?`)
        .run(request.now, job.group_id);
    }
    return toClaimed(job, leaseToken);
  }

  /** Ends an active job this lease still holds; false for a stale lease. */
  #finish(
    job: ClaimedJob,
    state: "done" | "failed" | "cancelled",
    at: number,
    code: string | null,
    error: string | null,
  ): boolean {
    return (
      this.#db
        .prepare(
          `UPDATE jobs SET state = ?, finished_at = ?, error_code = ?, error = ?,
             lease_owner = NULL, lease_token = NULL
           WHERE id = ? AND state = 'active' AND lease_token = ?`,
        )
        .run(state, at, code, error, job.id, job.leaseToken).changes === 1
    );
  }

  #retry(job: ClaimedJob, runAfter: number): boolean {
    return (
      this.#db
        .prepare(
          `UPDATE jobs SET state = 'queued', run_after = ?, lease_owner = NULL, lease_token = NULL
           WHERE id = ? AND state = 'active' AND lease_token = ?`,
        )
        .run(runAfter, job.id, job.leaseToken).changes === 1
    );
  }

  /** The page's document, and its charge in the ledger, once (the job id is unique in both). */
  #storePage(job: ClaimedJob, success: JobSuccess): void {
    this.#db
      .prepare(
        `INSERT INTO job_pages (job_id, group_id, document, credits_used, finished_at)
         VALUES (?, ?, ?, ?, ?)`,
      )
      .run(job.id, job.groupId, success.documentJson, success.creditsUsed, success.finishedAt);
    if (success.creditsUsed > 0) {
      this.#accounts.appendLedger({
        teamId: job.teamId,
        delta: -success.creditsUsed,
        reason: "scrape",
        ref: `scrape:${job.id}`,
        createdAt: success.finishedAt,
      });
    }
  }

  /** Inserts pages not seen before in the group, while it is under its limit; how many. */
  #enqueue(groupId: string, pages: NewPage[], now: number): number {
    const group = this.#groupOf(groupId);
    if (!group || group.status !== "scraping") return 0;
    const claimKey = this.#db.prepare(
      `INSERT INTO job_urls (group_id, url_key) VALUES (?, ?) ON CONFLICT DO NOTHING`,
    );
    const count = this.#db.prepare(
      `UPDATE job_groups SET counted = counted + 1
       WHERE id = ? AND (page_limit IS NULL OR counted < page_limit)`,
    );
    let added = 0;
    for (const page of pages) {
      if (count.run(groupId).changes === 0) break;
      if (claimKey.run(groupId, page.key).changes === 0) {
        this.#db.prepare(`UPDATE job_groups SET counted = counted - 1 WHERE id = ?`).run(groupId);
        continue;
      }
      this.#insertJob(toGroupRow(group), "page", page, now);
      added++;
    }
    return added;
  }

  #insertJob(group: JobGroupRow, kind: JobKind, page: NewPage, now: number): void {
    this.#db
      .prepare(
        `INSERT INTO jobs (id, group_id, team_id, kind, url, depth, state, run_after, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?)`,
      )
      .run(uuidv7(), group.id, group.teamId, kind, page.url, page.depth, now, now);
  }

  /** A scraping group with no job left to run is completed. */
  #endIfIdle(groupId: string, now: number): void {
    const ended = this.#db
      .prepare(
        `UPDATE job_groups SET status = 'completed', finished_at = ?
         WHERE id = ? AND status = 'scraping' AND NOT EXISTS (
           SELECT 1 FROM jobs WHERE group_id = ? AND state IN ('queued', 'active'))`,
      )
      .run(now, groupId, groupId);
    if (ended.changes === 1) this.#events.record(groupId, "completed", null, now);
  }

  #groupOf(id: string): GroupRecord | undefined {
    return this.#db.prepare(`SELECT * FROM job_groups WHERE id = ?`).get(id) as
      GroupRecord | undefined;
  }
}
