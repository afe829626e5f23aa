import type Database from "better-sqlite3";
import type { ClaimRequest, JobKind } from "./job-queue.ts";

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

/** What a claim may still take: active jobs per team and per group, and each group's pacing. */
export class ClaimLimits {
  readonly #db: Database.Database;
  readonly #request: ClaimRequest;
  readonly #teams = new Map<string, number>();
  readonly #groups = new Map<string, { active: number; max: number | null; due: boolean }>();

  constructor(db: Database.Database, request: ClaimRequest) {
    this.#db = db;
    this.#request = request;
  }

  /** The team's jobs running now, those this claim took included. */
  activeOf(teamId: string): number {
    return this.#team(teamId);
  }

  admits(job: CandidateJob): boolean {
    if (this.#team(job.team_id) >= this.#request.teamLimit) return false;
    if (job.kind === "kickoff") return true;
    const group = this.#group(job.group_id);
    return group.due && (group.max === null || group.active < group.max);
  }

  take(job: CandidateJob): CandidateJob {
    this.#teams.set(job.team_id, this.#team(job.team_id) + 1);
    if (job.kind === "page") {
      const group = this.#group(job.group_id);
      group.active++;
      // A paced group starts one page per claim at most; the next claim sees its new start time.
      if (this.#paced(job.group_id)) group.due = false;
    }
    return job;
  }

  #team(teamId: string): number {
    let active = this.#teams.get(teamId);
    if (active === undefined) {
      active = (
        this.#db
          .prepare(`SELECT COUNT(*) AS n FROM jobs WHERE team_id = ? AND state = 'active'`)
          .get(teamId) as { n: number }
      ).n;
      this.#teams.set(teamId, active);
    }
    return active;
  }

  #group(groupId: string) {
    let group = this.#groups.get(groupId);
    if (!group) {
      const row = this.#db
        .prepare(
          `SELECT g.max_concurrency AS max, g.delay_ms AS delay, g.next_start_at AS next,
             (SELECT COUNT(*) FROM jobs WHERE group_id = g.id AND state = 'active'
                AND kind = 'page') AS active
           FROM job_groups g WHERE g.id = ?`,
        )
        .get(groupId) as { max: number | null; delay: number; next: number; active: number };
      // A delay runs the group one page at a time (spec §2.3).
      const max = row.delay > 0 ? 1 : row.max;
      group = { active: row.active, max, due: row.next <= this.#request.now };
      this.#groups.set(groupId, group);
    }
    return group;
  }

  #paced(groupId: string): boolean {
    const row = this.#db.prepare(`SELECT delay_ms FROM job_groups WHERE id = ?`).get(groupId) as
      { delay_ms: number } | undefined;
    return (row?.delay_ms ?? 0) > 0;
  }
}
