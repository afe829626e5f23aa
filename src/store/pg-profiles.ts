import type { PgDb } from "./pg-db.ts";
import { toProfileRow, type ProfileRecord } from "./store-records.ts";
import type { ProfileRow } from "./store.ts";

/** Sealed browser profiles and their single-writer leases on Postgres. */
export class PgProfiles {
  readonly #db: PgDb;

  constructor(db: PgDb) {
    this.#db = db;
  }

  async putProfile(row: ProfileRow): Promise<void> {
    await this.#db.query(
      `INSERT INTO profiles (team_id, name, sealed, size, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (team_id, name) DO UPDATE SET
         sealed = excluded.sealed, size = excluded.size, updated_at = excluded.updated_at`,
      [row.teamId, row.name, row.sealed, row.size, row.updatedAt],
    );
  }

  async getProfile(teamId: string, name: string): Promise<ProfileRow | undefined> {
    const r = await this.#db.one<ProfileRecord>(
      `SELECT * FROM profiles WHERE team_id = $1 AND name = $2`,
      [teamId, name],
    );
    return r && toProfileRow(r);
  }

  async listProfiles(teamId: string): Promise<Omit<ProfileRow, "sealed">[]> {
    const rows = await this.#db.query<Omit<ProfileRecord, "sealed">>(
      `SELECT team_id, name, size, updated_at FROM profiles WHERE team_id = $1 ORDER BY name`,
      [teamId],
    );
    return rows.map((r) => ({
      teamId: r.team_id,
      name: r.name,
      size: r.size,
      updatedAt: r.updated_at,
    }));
  }

  async deleteProfile(teamId: string, name: string): Promise<boolean> {
    const { length } = await this.#db.query(
      `DELETE FROM profiles WHERE team_id = $1 AND name = $2 RETURNING name`,
      [teamId, name],
    );
    return length === 1;
  }

  /** One statement: the upsert takes the lease only when it is free, expired or already ours. */
  async acquireProfileWriter(
    teamId: string,
    name: string,
    holder: string,
    now: number,
    expiresAt: number,
  ): Promise<boolean> {
    const { length } = await this.#db.query(
      `INSERT INTO profile_writers (team_id, name, holder, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (team_id, name) DO UPDATE SET
         holder = excluded.holder, expires_at = excluded.expires_at
       WHERE profile_writers.expires_at <= $5 OR profile_writers.holder = excluded.holder
       RETURNING holder`,
      [teamId, name, holder, expiresAt, now],
    );
    return length === 1;
  }

  async releaseProfileWriter(teamId: string, name: string, holder: string): Promise<void> {
    await this.#db.query(
      `DELETE FROM profile_writers WHERE team_id = $1 AND name = $2 AND holder = $3`,
      [teamId, name, holder],
    );
  }
}
