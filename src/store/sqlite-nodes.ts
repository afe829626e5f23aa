import type Database from "better-sqlite3";
import type { NodeRow, ReapRequest } from "./nodes.ts";
import { toNodeRow, type NodeRecord } from "./store-records.ts";

/** Nodes and their heartbeats on SQLite (nodes.ts); a reap is one write transaction. */
export class SqliteNodes {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  registerNode(node: { id: string; internalUrl: string | null; now: number }): void {
    this.#db
      .prepare(
        `INSERT INTO nodes (id, internal_url, started_at, heartbeat_at, status)
         VALUES (?, ?, ?, ?, 'alive')`,
      )
      .run(node.id, node.internalUrl, node.now, node.now);
  }

  heartbeatNode(id: string, now: number): boolean {
    const { changes } = this.#db
      .prepare(
        `UPDATE nodes SET heartbeat_at = max(heartbeat_at, ?) WHERE id = ? AND status = 'alive'`,
      )
      .run(now, id);
    return changes === 1;
  }

  reapNodes(request: ReapRequest): string[] {
    return this.#db
      .transaction(() => {
        const lapsed = this.#db
          .prepare(
            `SELECT id FROM nodes WHERE status = 'alive' AND heartbeat_at < ? AND id <> ?
             ORDER BY id`,
          )
          .all(request.heartbeatBefore, request.self) as { id: string }[];
        return lapsed.map((n) => n.id).filter((id) => this.#declareDead(id, request.now));
      })
      .immediate();
  }

  /** Marks the node dead and frees its slots, holds and claimed jobs; false if already dead. */
  #declareDead(id: string, now: number): boolean {
    const { changes } = this.#db
      .prepare(`UPDATE nodes SET status = 'dead' WHERE id = ? AND status = 'alive'`)
      .run(id);
    if (changes !== 1) return false;
    this.#db.prepare(`DELETE FROM team_slots WHERE node_id = ?`).run(id);
    this.#db.prepare(`DELETE FROM credit_holds WHERE node_id = ?`).run(id);
    this.#db
      .prepare(
        `UPDATE jobs SET state = 'queued', run_after = ?, lease_owner = NULL, lease_token = NULL
         WHERE state = 'active' AND lease_owner = ?`,
      )
      .run(now, id);
    return true;
  }

  listNodes(): NodeRow[] {
    const rows = this.#db
      .prepare(`SELECT * FROM nodes ORDER BY started_at, id`)
      .all() as NodeRecord[];
    return rows.map(toNodeRow);
  }
}
