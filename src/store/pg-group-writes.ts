import { v7 as uuidv7 } from "uuid";
import type { PoolClient } from "pg";
import type { ClaimedJob, JobGroupRow, JobKind, JobSuccess, NewPage } from "./job-queue.ts";
import type { PgAccounts } from "./pg-accounts.ts";
import type { PgJobEvents } from "./pg-job-events.ts";
import { toGroupRow, type GroupRecord } from "./store-records.ts";

/** A group's row as its lock returns it: `counted` is held against its limit. */
type LockedGroup = GroupRecord & { counted: number };

/**
 * The statements the queue's transactions share: a group's lock, a job's end, a page's storage
 * and charge, enqueueing within the limit, and ending an idle group. Each runs on the caller's
 * transaction, which holds the group's row (`lockGroup`) before it calls any other.
 */
export class PgGroupWrites {
  readonly #accounts: PgAccounts;
  readonly #events: PgJobEvents;

  constructor(accounts: PgAccounts, events: PgJobEvents) {
    this.#accounts = accounts;
    this.#events = events;
  }

  /** Locks the group's row until the transaction ends; undefined when there is no such group. */
  async lockGroup(client: PoolClient, id: string): Promise<LockedGroup | undefined> {
    const { rows } = await client.query(`SELECT * FROM job_groups WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] as LockedGroup | undefined;
  }

  /** Ends an active job this lease still holds; false for a stale lease or a second end. */
  async finish(
    client: PoolClient,
    job: ClaimedJob,
    state: "done" | "failed" | "cancelled",
    at: number,
    code: string | null,
    error: string | null,
  ): Promise<boolean> {
    const { rowCount } = await client.query(
      `UPDATE jobs SET state = $1, finished_at = $2, error_code = $3, error = $4,
         lease_owner = NULL, lease_token = NULL
       WHERE id = $5 AND state = 'active' AND lease_token = $6`,
      [state, at, code, error, job.id, job.leaseToken],
    );
    return rowCount === 1;
  }

  async retry(client: PoolClient, job: ClaimedJob, runAfter: number): Promise<boolean> {
    const { rowCount } = await client.query(
      `UPDATE jobs SET state = 'queued', run_after = $1, lease_owner = NULL, lease_token = NULL
       WHERE id = $2 AND state = 'active' AND lease_token = $3`,
      [runAfter, job.id, job.leaseToken],
    );
    return rowCount === 1;
  }

  /** An extract's one job failed: so did the group, with its reason. */
  async failGroup(client: PoolClient, groupId: string, error: string, at: number): Promise<void> {
    await client.query(
      `UPDATE job_groups SET status = 'failed', error = $1, finished_at = $2
       WHERE id = $3 AND status = 'scraping'`,
      [error, at, groupId],
    );
    await this.#events.record(client, groupId, "completed", null, at);
  }

  /** A failed page frees its place under the group's limit; its `page` event still goes out. */
  async releasePage(client: PoolClient, job: ClaimedJob, at: number): Promise<void> {
    await client.query(`UPDATE job_groups SET counted = counted - 1 WHERE id = $1`, [job.groupId]);
    await this.#events.record(client, job.groupId, "page", job.id, at);
  }

  /** What a finished job leaves: its page and charge, its links queued, robots' refusals. */
  async storeSuccess(client: PoolClient, job: ClaimedJob, success: JobSuccess): Promise<void> {
    if (job.kind !== "kickoff") await this.#storePage(client, job, success);
    if (job.kind === "page") {
      await this.#events.record(client, job.groupId, "page", job.id, success.finishedAt);
    }
    if (success.links.length > 0) {
      await this.enqueue(client, job.groupId, success.links, success.finishedAt);
    }
    const blocked = success.robotsBlocked ?? [];
    if (blocked.length > 0) {
      await client.query(
        `INSERT INTO job_robots_blocked (group_id, url) SELECT $1::text, unnest($2::text[])
         ON CONFLICT DO NOTHING`,
        [job.groupId, blocked],
      );
    }
  }

  /** Inserts pages not seen before in the group, while it is under its limit; how many. */
  async enqueue(
    client: PoolClient,
    groupId: string,
    pages: NewPage[],
    now: number,
  ): Promise<number> {
    const group = await this.lockGroup(client, groupId);
    if (!group || group.status !== "scraping" || pages.length === 0) return 0;
    const room = group.page_limit === null ? Infinity : group.page_limit - group.counted;
    const fresh = await this.#visit(client, groupId, pages, Math.max(0, room));
    if (fresh.length === 0) return 0;
    await client.query(`UPDATE job_groups SET counted = counted + $1 WHERE id = $2`, [
      fresh.length,
      groupId,
    ]);
    await this.insertJobs(client, toGroupRow(group), "page", fresh, now);
    return fresh.length;
  }

  async insertJobs(
    client: PoolClient,
    group: JobGroupRow,
    kind: JobKind,
    pages: NewPage[],
    now: number,
  ): Promise<void> {
    await client.query(
      `INSERT INTO jobs (id, group_id, team_id, kind, url, depth, state, run_after, created_at)
       SELECT p.id, $1::text, $2::text, $3::text, p.url, p.depth, 'queued', $4::bigint, $4::bigint
       FROM unnest($5::text[], $6::text[], $7::int[]) AS p(id, url, depth)`,
      [
        group.id,
        group.teamId,
        kind,
        now,
        pages.map(() => uuidv7()),
        pages.map((p) => p.url),
        pages.map((p) => p.depth),
      ],
    );
  }

  /** A scraping group with no job left to run is completed (once: the caller holds its row). */
  async endIfIdle(client: PoolClient, groupId: string, now: number): Promise<void> {
    const { rowCount } = await client.query(
      `UPDATE job_groups SET status = 'completed', finished_at = $1
       WHERE id = $2 AND status = 'scraping' AND NOT EXISTS (
         SELECT 1 FROM jobs WHERE group_id = $2 AND state IN ('queued', 'active'))`,
      [now, groupId],
    );
    if (rowCount === 1) await this.#events.record(client, groupId, "completed", null, now);
  }

  /**
   * Adds the pages' keys to the visited set, in one statement; the pages whose key was new (the
   * first of any repeated key), up to `room`. Keys past the room are taken out again, as if never
   * added: nobody else can have seen them, since they are not committed.
   */
  async #visit(
    client: PoolClient,
    groupId: string,
    pages: NewPage[],
    room: number,
  ): Promise<NewPage[]> {
    const { rows } = await client.query<{ url_key: string }>(
      `INSERT INTO job_urls (group_id, url_key) SELECT $1::text, unnest($2::text[])
       ON CONFLICT DO NOTHING RETURNING url_key`,
      [groupId, pages.map((p) => p.key)],
    );
    const added = new Set(rows.map((r) => r.url_key));
    // `delete` is true for a key's first page only.
    const fresh = pages.filter((p) => added.delete(p.key));
    const over = fresh.splice(room);
    if (over.length > 0) {
      await client.query(`DELETE FROM job_urls WHERE group_id = $1 AND url_key = ANY($2::text[])`, [
        groupId,
        over.map((p) => p.key),
      ]);
    }
    return fresh;
  }

  /** The page's document, and its charge in the ledger, once (the job id is unique in both). */
  async #storePage(client: PoolClient, job: ClaimedJob, success: JobSuccess): Promise<void> {
    await client.query(
      `INSERT INTO job_pages (job_id, group_id, document, credits_used, finished_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [job.id, job.groupId, success.documentJson, success.creditsUsed, success.finishedAt],
    );
    if (success.creditsUsed > 0) {
      const ref = `scrape:${job.id}`;
      const entry = { teamId: job.teamId, delta: -success.creditsUsed, reason: "scrape" as const };
      await this.#accounts.appendLedger({ ...entry, ref, createdAt: success.finishedAt }, client);
    }
  }
}
