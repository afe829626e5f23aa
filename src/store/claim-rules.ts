import type { ClaimRequest, ClaimedJob, JobKind } from "./job-queue.ts";

/** A queued job as a claim reads it. */
export interface CandidateJob {
  id: string;
  group_id: string;
  team_id: string;
  kind: JobKind;
  url: string;
  depth: number;
  attempts: number;
}

/** A group as a claim sees it, read while the claim holds the group's row and team's lock. */
export interface GroupLoad {
  /** Its page jobs running now. */
  active: number;
  max: number | null;
  delayMs: number;
  nextStartAt: number;
}

interface GroupState {
  active: number;
  max: number | null;
  due: boolean;
  paced: boolean;
}

// How a claim chooses among due jobs, the same on both stores: each store reads the counts (under
// its own locks) and hands them here.

/**
 * What a claim may still take: active jobs per team and per group, and each group's pacing, over
 * counts read up front (on Postgres, under the claim's locks).
 */
export class ClaimLimits {
  readonly #request: ClaimRequest;
  readonly #teams: Map<string, number>;
  readonly #groups = new Map<string, GroupState>();

  constructor(request: ClaimRequest, teams: Map<string, number>, groups: Map<string, GroupLoad>) {
    this.#request = request;
    this.#teams = teams;
    for (const [id, load] of groups) {
      this.#groups.set(id, {
        active: load.active,
        // A delay runs the group one page at a time (spec §2.3).
        max: load.delayMs > 0 ? 1 : load.max,
        due: load.nextStartAt <= request.now,
        paced: load.delayMs > 0,
      });
    }
  }

  /** The team's jobs running now, those this claim took included. */
  activeOf(teamId: string): number {
    return this.#teams.get(teamId) ?? 0;
  }

  admits(job: CandidateJob): boolean {
    if (this.activeOf(job.team_id) >= this.#request.teamLimit) return false;
    if (job.kind !== "page") return true;
    const group = this.#groups.get(job.group_id);
    return group !== undefined && group.due && (group.max === null || group.active < group.max);
  }

  take(job: CandidateJob): CandidateJob {
    this.#teams.set(job.team_id, this.activeOf(job.team_id) + 1);
    const group = job.kind === "page" ? this.#groups.get(job.group_id) : undefined;
    if (group) {
      group.active++;
      // A paced group starts one page per claim at most; the next claim sees its new start time.
      if (group.paced) group.due = false;
    }
    return job;
  }
}

/**
 * Up to `max` of the candidates (in due order), round-robin over teams within the limits: each
 * round serves the teams with the fewest running jobs first (ties: the oldest job), so a one-slot
 * claim goes to a waiting team rather than to the one holding the workers.
 */
export function pickFairly(
  candidates: CandidateJob[],
  limits: ClaimLimits,
  max: number,
): CandidateJob[] {
  const byTeam = Map.groupBy(candidates, (job) => job.team_id);
  const picked: CandidateJob[] = [];
  while (picked.length < max && byTeam.size > 0) {
    const teams = [...byTeam].sort(([a], [b]) => limits.activeOf(a) - limits.activeOf(b));
    for (const [team, jobs] of teams) {
      const index = jobs.findIndex((job) => limits.admits(job));
      if (index < 0) {
        byTeam.delete(team);
        continue;
      }
      const [job] = jobs.splice(index, 1);
      if (job) picked.push(limits.take(job));
      if (picked.length === max) break;
    }
  }
  return picked;
}

/** A picked job as its claimer gets it, under its new lease. */
export function toClaimed(job: CandidateJob, leaseToken: string): ClaimedJob {
  return {
    id: job.id,
    groupId: job.group_id,
    teamId: job.team_id,
    kind: job.kind,
    url: job.url,
    depth: job.depth,
    attempt: job.attempts + 1,
    leaseToken,
  };
}
