import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import type { EventOutcome, JobEvent, JobEventType, JobOutcome } from "./job-queue.ts";

/**
 * The webhook outbox on SQLite: events recorded in the queue's own transactions, then claimed
 * one per group at a time (its oldest), so a group's events are delivered in order.
 */
export class SqliteJobEvents {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Records an event of a group that has a webhook, for the deliverer (the outbox). */
  record(groupId: string, type: JobEventType, jobId: string | null, now: number): void {
    this.#db
      .prepare(
        `INSERT INTO job_events (group_id, type, job_id, run_after)
         SELECT id, ?, ?, ? FROM job_groups WHERE id = ? AND webhook = 1`,
      )
      .run(type, jobId, now, groupId);
  }

  claimJobEvents(request: { now: number; max: number; leaseMs: number }): JobEvent[] {
    return this.#db.transaction(() => {
      const heads = this.#db
        .prepare(
          `SELECT e.seq, e.group_id, e.type, e.job_id, e.attempts FROM job_events e
           WHERE e.seq IN (SELECT MIN(seq) FROM job_events
                           WHERE state IN ('pending', 'active') GROUP BY group_id)
             AND ((e.state = 'pending' AND e.run_after <= ?)
               OR (e.state = 'active' AND e.lease_expires_at <= ?))
           ORDER BY e.seq LIMIT ?`,
        )
        .all(request.now, request.now, request.max) as {
        seq: number;
        group_id: string;
        type: JobEventType;
        job_id: string | null;
        attempts: number;
      }[];
      return heads.map((head) => {
        const leaseToken = randomUUID();
        this.#db
          .prepare(
            `UPDATE job_events SET state = 'active', attempts = attempts + 1, lease_token = ?,
               lease_expires_at = ? WHERE seq = ?`,
          )
          .run(leaseToken, request.now + request.leaseMs, head.seq);
        return {
          seq: head.seq,
          groupId: head.group_id,
          type: head.type,
          jobId: head.job_id,
          attempt: head.attempts + 1,
          leaseToken,
        };
      });
    })();
  }

  finishJobEvent(event: JobEvent, outcome: EventOutcome): void {
    const [state, runAfter, error] =
      "delivered" in outcome
        ? ["sent", 0, null]
        : "retryAt" in outcome
          ? ["pending", outcome.retryAt, null]
          : ["failed", 0, outcome.gaveUp];
    this.#db
      .prepare(
        `UPDATE job_events SET state = ?, run_after = ?, error = ?, lease_token = NULL
         WHERE seq = ? AND lease_token = ?`,
      )
      .run(state, runAfter, error, event.seq, event.leaseToken);
  }

  getJobOutcome(jobId: string): JobOutcome | undefined {
    const row = this.#db
      .prepare(
        `SELECT j.url, j.state, j.error, p.document FROM jobs j
         LEFT JOIN job_pages p ON p.job_id = j.id WHERE j.id = ?`,
      )
      .get(jobId) as
      | { url: string; state: JobOutcome["state"]; error: string | null; document: string | null }
      | undefined;
    return row && { url: row.url, state: row.state, documentJson: row.document, error: row.error };
  }
}
