import type { PoolClient } from "pg";
import type { NodeRow, ReapRequest } from "./nodes.ts";
import type { PgDb } from "./pg-db.ts";
import { toNodeRow, type NodeRecord } from "./store-records.ts";

/**
 * Nodes and their heartbeats on Postgres (nodes.ts). Reapers that run at once split the lapsed
 * nodes between them (FOR UPDATE SKIP LOCKED), and the conditional update declares each dead once.
 */
export class PgNodes {
  readonly #db: PgDb;

  constructor(db: PgDb) {
    this.#db = db;
  }

  async registerNode(node: { id: string; internalUrl: string | null; now: number }): Promise<void> {
    await this.#db.query(
      `INSERT INTO nodes (id, internal_url, started_at, heartbeat_at, status)
       VALUES ($1, $2, $3, $3, 'alive')`,
      [node.id, node.internalUrl, node.now],
    );
  }

  async heartbeatNode(id: string, now: number): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE nodes SET heartbeat_at = GREATEST(heartbeat_at, $1)
       WHERE id = $2 AND status = 'alive' RETURNING id`,
      [now, id],
    );
    return rows.length === 1;
  }

  reapNodes(request: ReapRequest): Promise<string[]> {
    return this.#db.tx(async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `SELECT id FROM nodes WHERE status = 'alive' AND heartbeat_at < $1 AND id <> $2
         ORDER BY id FOR UPDATE SKIP LOCKED`,
        [request.heartbeatBefore, request.self],
      );
      const dead: string[] = [];
      for (const { id } of rows) {
        if (await declareDead(client, id, request.now)) dead.push(id);
      }
      return dead;
    });
  }

  async listNodes(): Promise<NodeRow[]> {
    const rows = await this.#db.query<NodeRecord>(`SELECT * FROM nodes ORDER BY started_at, id`);
    return rows.map(toNodeRow);
  }
}

/** Marks the node dead and frees its slots, holds and claimed jobs; false if already dead. */
async function declareDead(client: PoolClient, id: string, now: number): Promise<boolean> {
  const marked = await client.query(
    `UPDATE nodes SET status = 'dead' WHERE id = $1 AND status = 'alive'`,
    [id],
  );
  if (marked.rowCount !== 1) return false;
  await client.query(`DELETE FROM team_slots WHERE node_id = $1`, [id]);
  await client.query(`DELETE FROM credit_holds WHERE node_id = $1`, [id]);
  await client.query(
    `UPDATE jobs SET state = 'queued', run_after = $1, lease_owner = NULL, lease_token = NULL
     WHERE state = 'active' AND lease_owner = $2`,
    [now, id],
  );
  return true;
}
