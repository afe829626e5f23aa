import { randomUUID } from "node:crypto";
import type { PoolClient } from "pg";
import type { EventOutcome, JobEvent, JobEventType, JobOutcome } from "./job-queue.ts";
import type { PgDb, Queryable } from "./pg-db.ts";

interface EventRecord {
  seq: number;
  group_id: string;
  type: JobEventType;
  job_id: string | null;
  attempts: number;
}

/**
 * The webhook outbox on Postgres: events recorded in the queue's own transactions, then claimed
 * one per group at a time (its oldest), so a group's events are delivered in order. Every event
 * of a group is recorded while its group's row is locked (or, for `started`, not yet visible),
 * so a group's `seq` order is its commit order and no claim sees a later event before an earlier.
 */
export class PgJobEvents {
  readonly #db: PgDb;

  constructor(db: PgDb) {
    this.#db = db;
  }

  /** Records an event of a group that has a webhook, in the caller's transaction. */
  async record(
    q: Queryable,
    groupId: string,
    type: JobEventType,
    jobId: string | null,
    now: number,
  ): Promise<void> {
    await q.query(
      `INSERT INTO job_events (group_id, type, job_id, run_after)
       SELECT id, $1::text, $2::text, $3::bigint FROM job_groups WHERE id = $4 AND webhook = 1`,
      [type, jobId, now, groupId],
    );
  }

  claimJobEvents(request: { now: number; max: number; leaseMs: number }): Promise<JobEvent[]> {
    return this.#db.tx(async (client) => {
      const heads = await this.#lockHeads(client, request.now, request.max);
      const events = heads.map((head) => ({
        seq: head.seq,
        groupId: head.group_id,
        type: head.type,
        jobId: head.job_id,
        attempt: head.attempts + 1,
        leaseToken: randomUUID(),
      }));
      await client.query(
        `UPDATE job_events AS e SET state = 'active', attempts = e.attempts + 1,
           lease_token = l.token, lease_expires_at = $1
         FROM unnest($2::bigint[], $3::text[]) AS l(seq, token) WHERE e.seq = l.seq`,
        [request.now + request.leaseMs, events.map((e) => e.seq), events.map((e) => e.leaseToken)],
      );
      return events;
    });
  }

  /**
   * Each group's oldest undelivered event, when it is due. SKIP LOCKED leaves a head another
   * claim is taking; the due state is checked again on the locked row, so a head that claim
   * leased (or delivered) meanwhile is passed over rather than handed out twice.
   */
  async #lockHeads(client: PoolClient, now: number, max: number): Promise<EventRecord[]> {
    const { rows } = await client.query(
      `SELECT e.seq, e.group_id, e.type, e.job_id, e.attempts FROM job_events e
       WHERE e.seq IN (SELECT MIN(seq) FROM job_events
                       WHERE state IN ('pending', 'active') GROUP BY group_id)
         AND ((e.state = 'pending' AND e.run_after <= $1)
           OR (e.state = 'active' AND e.lease_expires_at <= $1))
       ORDER BY e.seq LIMIT $2 FOR UPDATE OF e SKIP LOCKED`,
      [now, max],
    );
    return rows as EventRecord[];
  }

  async finishJobEvent(event: JobEvent, outcome: EventOutcome): Promise<void> {
    const [state, runAfter, error] =
      "delivered" in outcome
        ? ["sent", 0, null]
        : "retryAt" in outcome
          ? ["pending", outcome.retryAt, null]
          : ["failed", 0, outcome.gaveUp];
    await this.#db.query(
      `UPDATE job_events SET state = $1, run_after = $2, error = $3, lease_token = NULL
       WHERE seq = $4 AND lease_token = $5`,
      [state, runAfter, error, event.seq, event.leaseToken],
    );
  }

  async getJobOutcome(jobId: string): Promise<JobOutcome | undefined> {
    const row = await this.#db.one<{
      url: string;
      state: JobOutcome["state"];
      error: string | null;
      document: string | null;
    }>(
      `SELECT j.url, j.state, j.error, p.document FROM jobs j
       LEFT JOIN job_pages p ON p.job_id = j.id WHERE j.id = $1`,
      [jobId],
    );
    return row && { url: row.url, state: row.state, documentJson: row.document, error: row.error };
  }
}
