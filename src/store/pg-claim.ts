import { randomUUID } from "node:crypto";
import type { PoolClient } from "pg";
import type { ClaimRequest, ClaimedJob, JobKind } from "./job-queue.ts";
import {
  ClaimLimits,
  pickFairly,
  toClaimed,
  type CandidateJob,
  type GroupLoad,
} from "./claim-rules.ts";

/** How many queued jobs one claim looks at per job it may hand out. */
const CANDIDATES_PER_SLOT = 20;

/** Due now: queued and past its retry time, or active with its lease run out. */
const DUE = `((state = 'queued' AND run_after <= $1) OR (state = 'active' AND lease_expires_at <= $1))`;

/**
 * Claims up to `request.max` jobs inside the caller's transaction, with SQLite's fairness and
 * limits. Locks, always in this order so that claims never deadlock with each other or with a
 * completion (which takes its group's row, then its job's):
 * 1. every candidate team's advisory lock, in key order: only claims activate jobs, so a team's
 *    active count read under its lock stays exact (claims that see the same teams take turns);
 * 2. every candidate group's row, in id order: pacing (`next_start_at`) is written under it, and
 *    a group's job is activated only while its row is held (deleteExpiredJobGroups relies on it);
 * 3. the candidate jobs, FOR UPDATE SKIP LOCKED, their due state checked again on the locked row.
 */
export async function claimJobs(client: PoolClient, request: ClaimRequest): Promise<ClaimedJob[]> {
  const kinds = request.kinds ?? ["kickoff", "page", "extract"];
  const teams = await dueTeams(client, request.now, kinds);
  if (teams.length === 0 || request.max <= 0) return [];
  await lockTeams(client, teams);
  // Read after the team locks: a claim that waited sees what the one before it took.
  const listed = await candidates(client, request, kinds, teams);
  if (listed.length === 0) return [];
  await lockGroups(client, [...new Set(listed.map((job) => job.group_id))]);
  const ids = listed.map((job) => job.id);
  const locked = await lockJobs(client, ids, request.now);
  if (locked.length === 0) return [];
  const limits = await loadLimits(client, request, locked);
  return lease(client, pickFairly(locked, limits, request.max), request);
}

async function rows<T>(client: PoolClient, sql: string, params: unknown[]): Promise<T[]> {
  return (await client.query(sql, params)).rows as T[];
}

async function dueTeams(client: PoolClient, now: number, kinds: JobKind[]): Promise<string[]> {
  const found = await rows<{ team_id: string }>(
    client,
    `SELECT DISTINCT team_id FROM jobs WHERE ${DUE} AND kind = ANY($2::text[])`,
    [now, kinds],
  );
  return found.map((r) => r.team_id);
}

async function lockTeams(client: PoolClient, teams: string[]): Promise<void> {
  // The subquery's ORDER BY is kept (it is not flattened), so the locks are taken in key order.
  await client.query(
    `SELECT pg_advisory_xact_lock(k) FROM (
       SELECT DISTINCT hashtextextended('skiff.job-claim:' || t, 0) AS k
       FROM unnest($1::text[]) AS t ORDER BY k) AS keys`,
    [teams],
  );
}

function candidates(
  client: PoolClient,
  request: ClaimRequest,
  kinds: JobKind[],
  teams: string[],
): Promise<CandidateJob[]> {
  return rows<CandidateJob>(
    client,
    // The first due jobs of every team, not of the queue: a team with a long queue must not push
    // the others' jobs out of the claim's view. Ids compare bytewise, as in SQLite.
    `SELECT id, group_id, team_id, kind, url, depth, attempts FROM (
       SELECT id, group_id, team_id, kind, url, depth, attempts, run_after,
         ROW_NUMBER() OVER (PARTITION BY team_id ORDER BY run_after, id COLLATE "C") AS n
       FROM jobs
       WHERE ${DUE} AND kind = ANY($2::text[]) AND team_id = ANY($3::text[])) AS due
     WHERE n <= $4 ORDER BY run_after, id COLLATE "C"`,
    [request.now, kinds, teams, request.max * CANDIDATES_PER_SLOT],
  );
}

async function lockGroups(client: PoolClient, ids: string[]): Promise<void> {
  await client.query(
    `SELECT id FROM job_groups WHERE id = ANY($1::text[]) ORDER BY id COLLATE "C" FOR UPDATE`,
    [ids],
  );
}

function lockJobs(client: PoolClient, ids: string[], now: number): Promise<CandidateJob[]> {
  return rows<CandidateJob>(
    client,
    `SELECT id, group_id, team_id, kind, url, depth, attempts FROM jobs
     WHERE id = ANY($2::text[]) AND ${DUE}
     ORDER BY run_after, id COLLATE "C" FOR UPDATE SKIP LOCKED`,
    [now, ids],
  );
}

async function loadLimits(
  client: PoolClient,
  request: ClaimRequest,
  jobs: CandidateJob[],
): Promise<ClaimLimits> {
  const teams = await rows<{ team_id: string; n: number }>(
    client,
    `SELECT team_id, COUNT(*) AS n FROM jobs
     WHERE team_id = ANY($1::text[]) AND state = 'active' GROUP BY team_id`,
    [[...new Set(jobs.map((job) => job.team_id))]],
  );
  const pageGroups = new Set(jobs.filter((j) => j.kind === "page").map((j) => j.group_id));
  const groups = await rows<GroupLoad & { id: string }>(
    client,
    `SELECT g.id, g.max_concurrency AS max, g.delay_ms AS "delayMs",
       g.next_start_at AS "nextStartAt",
       (SELECT COUNT(*) FROM jobs
        WHERE group_id = g.id AND state = 'active' AND kind = 'page') AS active
     FROM job_groups g WHERE g.id = ANY($1::text[])`,
    [[...pageGroups]],
  );
  return new ClaimLimits(
    request,
    new Map(teams.map((t) => [t.team_id, t.n])),
    new Map(groups.map((g) => [g.id, g])),
  );
}

/** Marks the picked jobs active under fresh lease tokens, and moves their groups' pacing on. */
async function lease(
  client: PoolClient,
  picked: CandidateJob[],
  request: ClaimRequest,
): Promise<ClaimedJob[]> {
  if (picked.length === 0) return [];
  const leased = picked.map((job) => toClaimed(job, randomUUID()));
  await client.query(
    `UPDATE jobs AS j SET state = 'active', attempts = j.attempts + 1, lease_owner = $1,
       lease_token = l.token, lease_expires_at = $2
     FROM unnest($3::text[], $4::text[]) AS l(id, token) WHERE j.id = l.id`,
    [
      request.owner,
      request.now + request.leaseMs,
      leased.map((job) => job.id),
      leased.map((job) => job.leaseToken),
    ],
  );
  const paced = leased.filter((job) => job.kind === "page").map((job) => job.groupId);
  await client.query(
    `UPDATE job_groups SET next_start_at = $1::bigint + delay_ms WHERE id = ANY($2::text[])`,
    [request.now, [...new Set(paced)]],
  );
  return leased;
}
