// Several real Skiff nodes, each `node src/main.ts` in a process of its own (standing for a
// machine of its own: its own ports and DATA_DIR), on one throwaway Postgres. Each node leads a
// process group so a test can `kill -9` it whole, and the harness keeps track of what each node
// started, so that a test (and `stop`) can tell whether anything outlived its node.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import type { ThrowawayPostgres } from "../helpers/throwaway-postgres.ts";
import { NodeProcess, type ClusterNode } from "./node-process.ts";
import { isAlive, type ProcessInfo } from "./process-tree.ts";

export type { ClusterNode } from "./node-process.ts";
export type { ProcessInfo } from "./process-tree.ts";

export interface ClusterOptions {
  /** The Postgres to run on; the cluster stops it in `stop`. */
  postgres: ThrowawayPostgres;
  count?: number;
  /** Settings for every node, over the harness's own. */
  env?: Record<string, string>;
}

export interface Cluster {
  readonly nodes: readonly ClusterNode[];
  readonly databaseUrl: string;
  readonly adminKey: string;
  /** The node's current id in `nodes` (the newest alive row at its internal port). */
  nodeIdOf(node: ClusterNode): Promise<string | undefined>;
  /** The node a `nodes.id` belongs to, by the port in its internal_url. */
  nodeOfId(nodeId: string): Promise<ClusterNode | undefined>;
  /** A new team with `credits` (default 1000) through the admin API; its id and first key. */
  createTeam(credits?: number, name?: string): Promise<{ teamId: string; apiKey: string }>;
  query<T extends pg.QueryResultRow = Record<string, any>>(
    sql: string,
    params?: unknown[],
  ): Promise<T[]>;
  /** Processes started by any node that outlived it (see ClusterNode.leftovers). */
  leftovers(): ProcessInfo[];
  /**
   * Stops every node (SIGTERM, SIGKILL after a bound), then Postgres, and removes the data dirs.
   * Answers what outlived its node for a few seconds; those are killed, so nothing is left.
   */
  stop(): Promise<ProcessInfo[]>;
}

const MAIN = path.resolve(import.meta.dirname, "../../src/main.ts");
/** bwrap dies with its parent at once; a pipe-launched Chromium needs a moment to notice. */
const LEFTOVER_WAIT_MS = 5_000;

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

/** The settings every node shares, before the test's own. */
function sharedEnv(databaseUrl: string, adminKey: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    CLUSTER_SECRET: hex(32),
    PROFILE_ENCRYPTION_KEY: hex(32),
    AUTH: "keys",
    ADMIN_API_KEY: adminKey,
    NODE_HEARTBEAT_MS: "250",
    NODE_DEAD_AFTER_MS: "2000",
    SESSION_WARM_POOL: "0",
    SESSION_WARM_POOL_MAX: "0",
    MAX_CONCURRENT_SESSIONS: "4",
    SCRAPE_CONCURRENCY: "2",
    ALLOW_PRIVATE_TARGETS: "true",
    LOG_LEVEL: process.env.SKIFF_TEST_LOG_LEVEL ?? "warn",
    HOST: "127.0.0.1",
    INTERNAL_HOST: "127.0.0.1",
    // Bounds a SIGTERM's drain of running sessions (30 s by default with DATABASE_URL), so that
    // `stop` is quick; the drain scenario sets its own.
    SESSION_DRAIN_SECONDS: "3",
  };
}

/** Only what a process needs from the machine: no setting of the test's own environment leaks. */
function machineEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Starts `count` nodes at once and waits until every one is ready (60 s each, at most). */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { postgres, count = 3 } = options;
  const databaseUrl = await postgres.createDatabase();
  const adminKey = `admin-${hex(16)}`;
  const db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const env = { ...machineEnv(), ...sharedEnv(databaseUrl, adminKey), ...options.env };
  const clusterId = hex(6);
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, index) =>
      NodeProcess.launch({
        index,
        main: MAIN,
        env,
        marker: `SKIFF_TEST_NODE=${clusterId}-${index}`,
      }),
    ),
  );
  const nodes = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const cluster = new RunningCluster({ nodes, db, postgres, databaseUrl, adminKey });
  const failed = started.find((r) => r.status === "rejected");
  if (failed) {
    await cluster.stop();
    throw failed.reason;
  }
  return cluster;
}

interface RunningClusterParts {
  nodes: NodeProcess[];
  db: pg.Pool;
  postgres: ThrowawayPostgres;
  databaseUrl: string;
  adminKey: string;
}

class RunningCluster implements Cluster {
  readonly nodes: readonly NodeProcess[];
  readonly databaseUrl: string;
  readonly adminKey: string;
  readonly #db: pg.Pool;
  readonly #postgres: ThrowawayPostgres;
  #stopped: Promise<ProcessInfo[]> | undefined;

  constructor(parts: RunningClusterParts) {
    this.nodes = parts.nodes;
    this.databaseUrl = parts.databaseUrl;
    this.adminKey = parts.adminKey;
    this.#db = parts.db;
    this.#postgres = parts.postgres;
    // Nodes are detached: should this process end without `stop`, they must not outlive it.
    process.once("exit", () => this.nodes.forEach((n) => n.kill("SIGKILL")));
  }

  async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.#db.query<T>(sql, params)).rows;
  }

  async nodeIdOf(node: ClusterNode): Promise<string | undefined> {
    const rows = await this.query<{ id: string }>(
      `SELECT id FROM nodes WHERE internal_url ~ $1 AND status = 'alive'
       ORDER BY started_at DESC LIMIT 1`,
      [`:${node.internalPort}/?$`],
    );
    return rows[0]?.id;
  }

  async nodeOfId(nodeId: string): Promise<ClusterNode | undefined> {
    const rows = await this.query<{ internal_url: string | null }>(
      "SELECT internal_url FROM nodes WHERE id = $1",
      [nodeId],
    );
    const url = rows[0]?.internal_url;
    if (!url) return undefined;
    const port = Number(new URL(url).port);
    return this.nodes.find((n) => n.internalPort === port);
  }

  async createTeam(credits = 1000, name = `team-${hex(4)}`) {
    const node = this.nodes[0];
    if (!node) throw new Error("the cluster has no node");
    const res = await fetch(`${node.url}/admin/v1/teams`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ name, credits }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json()) as { id?: string; apiKey?: string };
    if (res.status !== 200 || !body.id || !body.apiKey) {
      throw new Error(`creating a team answered ${res.status}: ${JSON.stringify(body)}`);
    }
    return { teamId: body.id, apiKey: body.apiKey };
  }

  leftovers(): ProcessInfo[] {
    return this.nodes.flatMap((n) => n.leftovers());
  }

  stop(): Promise<ProcessInfo[]> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<ProcessInfo[]> {
    try {
      await Promise.all(this.nodes.map((n) => n.stop()));
      const outlived = await waitForLeftovers(() => this.leftovers(), LEFTOVER_WAIT_MS);
      for (const p of outlived) killQuietly(p);
      return outlived;
    } finally {
      await this.#db.end();
      this.#postgres.stop();
      for (const n of this.nodes) rmSync(n.dataDir, { recursive: true, force: true });
    }
  }
}

/**
 * What `leftovers` (a node's or the cluster's) still finds after `ms`, or nothing as soon as all
 * of it has ended: a Chromium takes a moment to notice that its node has gone.
 */
export async function waitForLeftovers(
  leftovers: () => ProcessInfo[],
  ms: number,
): Promise<ProcessInfo[]> {
  const deadline = Date.now() + ms;
  let running = leftovers();
  while (running.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    running = leftovers();
  }
  return running;
}

function killQuietly(p: ProcessInfo): void {
  if (!isAlive(p)) return;
  try {
    process.kill(p.pid, "SIGKILL");
  } catch {
    // It ended between the check and the signal.
  }
}
