import type Database from "better-sqlite3";
import { toProfileRow, type ProfileRecord } from "./store-records.ts";
import type { ProfileRow } from "./store.ts";

/** Sealed browser profiles and their single-writer leases on SQLite. Synchronous. */
export class SqliteProfiles {
  #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  putProfile(row: ProfileRow): void {
    this.#db
      .prepare(
        `INSERT INTO profiles (team_id, name, sealed, size, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (team_id, name) DO UPDATE SET
           sealed = excluded.sealed, size = excluded.size, updated_at = excluded.updated_at`,
      )
      .run(row.teamId, row.name, row.sealed, row.size, row.updatedAt);
  }

  getProfile(teamId: string, name: string): ProfileRow | undefined {
    const r = this.#db
      .prepare(`SELECT * FROM profiles WHERE team_id = ? AND name = ?`)
      .get(teamId, name) as ProfileRecord | undefined;
    return r && toProfileRow(r);
  }

  listProfiles(teamId: string): Omit<ProfileRow, "sealed">[] {
    const rows = this.#db
      .prepare(
        `SELECT team_id, name, size, updated_at FROM profiles WHERE team_id = ? ORDER BY name`,
      )
      .all(teamId) as Omit<ProfileRecord, "sealed">[];
    return rows.map((r) => ({
      teamId: r.team_id,
      name: r.name,
      size: r.size,
      updatedAt: r.updated_at,
    }));
  }

  deleteProfile(teamId: string, name: string): boolean {
    const changes = this.#db
      .prepare(`DELETE FROM profiles WHERE team_id = ? AND name = ?`)
      .run(teamId, name).changes;
    return changes === 1;
  }

  acquireProfileWriter(
    teamId: string,
    name: string,
    holder: string,
    now: number,
    expiresAt: number,
  ): boolean {
    const changes = this.#db
      .prepare(
        `INSERT INTO profile_writers (team_id, name, holder, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (team_id, name) DO UPDATE SET
           holder = excluded.holder, expires_at = excluded.expires_at
         WHERE profile_writers.expires_at <= ? OR profile_writers.holder = excluded.holder`,
      )
      .run(teamId, name, holder, expiresAt, now).changes;
    return changes === 1;
  }

  releaseProfileWriter(teamId: string, name: string, holder: string): void {
    this.#db
      .prepare(`DELETE FROM profile_writers WHERE team_id = ? AND name = ? AND holder = ?`)
      .run(teamId, name, holder);
  }
}
