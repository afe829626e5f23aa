// Page-job claims per second: claim one job, complete it, again, from several claimers at once, on
// a throwaway Postgres against SQLite in the same run. The queue must start pages far faster
// than browsers can load them (a page takes a good part of a second on two cores).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PostgresStore } from "../src/store/postgres-store.ts";
import { jobGroupRow } from "../src/store/queue-contract.ts";
import { SqliteStore } from "../src/store/sqlite-store.ts";
import type { Store } from "../src/store/store.ts";
import { startThrowawayPostgres } from "../test/helpers/throwaway-postgres.ts";
import { fmt } from "./stats.ts";

export interface ClaimsBench {
  claimers: number;
  teams: number;
  sqlitePerSecond: number;
  /** Undefined when Postgres is not installed. */
  postgresPerSecond: number | undefined;
}

const CLAIMERS = 4;
const TEAMS = 10;
const PAGES_PER_TEAM = 400;
const SECONDS = 5;

/** Queues a batch per team, then cycles claim → complete from `CLAIMERS` loops for `SECONDS`. */
async function cyclesPerSecond(store: Store): Promise<number> {
  for (let t = 0; t < TEAMS; t++) {
    const pages = Array.from({ length: PAGES_PER_TEAM }, (_, i) => ({
      url: `https://site.test/${t}/${i}`,
      key: `/${t}/${i}`,
      depth: 0,
    }));
    const group = jobGroupRow({ id: `bench-${t}`, teamId: `team-${t}`, createdAt: Date.now() });
    await store.createJobGroup(group, { kind: "page", pages });
  }
  const until = performance.now() + SECONDS * 1000;
  let cycles = 0;
  await Promise.all(
    Array.from({ length: CLAIMERS }, async (_, n) => {
      while (performance.now() < until) {
        const claim = { owner: `claimer-${n}`, max: 1, now: Date.now(), leaseMs: 60_000 };
        const [job] = await store.claimJobs({ ...claim, teamLimit: 100 });
        if (!job) return;
        const done = { documentJson: "{}", creditsUsed: 1, links: [], finishedAt: Date.now() };
        await store.completeJob(job, done);
        cycles++;
      }
    }),
  );
  return cycles / SECONDS;
}

export async function benchClaims(): Promise<ClaimsBench> {
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-claims-"));
  const sqlite = new SqliteStore(dir);
  let sqlitePerSecond: number;
  try {
    sqlitePerSecond = await cyclesPerSecond(sqlite);
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const cluster = startThrowawayPostgres();
  if (!cluster)
    return { claimers: CLAIMERS, teams: TEAMS, sqlitePerSecond, postgresPerSecond: undefined };
  try {
    const postgres = await PostgresStore.open(await cluster.createDatabase());
    try {
      const postgresPerSecond = await cyclesPerSecond(postgres);
      return { claimers: CLAIMERS, teams: TEAMS, sqlitePerSecond, postgresPerSecond };
    } finally {
      await postgres.close();
    }
  } finally {
    cluster.stop();
  }
}

export function printClaims(b: ClaimsBench): void {
  console.log(
    `page-job claims, claim then complete, ${b.claimers} claimers over ${b.teams} teams, ${SECONDS} s`,
  );
  console.log(`  sqlite                             ${fmt(b.sqlitePerSecond)} cycles/s`);
  const pg =
    b.postgresPerSecond === undefined
      ? "skipped: Postgres is not installed"
      : `${fmt(b.postgresPerSecond)} cycles/s (${fmt(b.postgresPerSecond / b.sqlitePerSecond, 2)} of sqlite)`;
  console.log(`  postgres (throwaway, fsync off)    ${pg}\n`);
}

if (import.meta.main) printClaims(await benchClaims());
