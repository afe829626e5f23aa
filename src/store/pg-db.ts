import pg from "pg";
import type { Logger } from "../log.ts";

/** What a statement runs on: the pool, or a transaction's client. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

/** Postgres returns bigint (ms timestamps) and numeric (sums) as strings; Skiff's fit in a double. */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  }) as typeof pg.types.getTypeParser,
};

/** Postgres's numbered placeholder for the `i`th value (from 0): `$1`, `$2`… */
export const pgPlaceholder = (i: number): string => `$${i + 1}`;

/** One lock id for every node's migrations (pg_advisory_lock takes a bigint). */
const MIGRATION_LOCK = 7_261_001;
const CONNECT_ATTEMPTS = 8;

/**
 * A connection pool with the three things the Postgres store needs: a query, a transaction and
 * the migrations, which run under an advisory lock so that nodes starting together do not race.
 */
export class PgDb {
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** For a statement outside any transaction (the default `Queryable`). */
  get pool(): Queryable {
    return this.#pool;
  }

  /** Connects, retrying with back-off while Postgres is starting; a pool error is logged, not fatal. */
  static async connect(url: string, logger?: Logger, maxConnections = 20): Promise<PgDb> {
    const pool = new pg.Pool({ connectionString: url, max: maxConnections, types });
    pool.on("error", (err) => logger?.warn({ err }, "postgres connection lost"));
    for (let attempt = 1; ; attempt++) {
      try {
        await pool.query("SELECT 1");
        return new PgDb(pool);
      } catch (err) {
        if (attempt >= CONNECT_ATTEMPTS) {
          await pool.end();
          throw err;
        }
        logger?.warn({ err, attempt }, "postgres not reachable yet; retrying");
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      }
    }
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.#pool.query(sql, params)).rows as T[];
  }

  async one<T>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params))[0];
  }

  /** Runs `fn` in a transaction (READ COMMITTED): committed when it resolves, rolled back if not. */
  async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Applies the migrations not yet in `schema_migrations`, each in its own transaction. */
  async migrate(migrations: readonly string[]): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`,
      );
      const { rows } = await client.query<{ n: number }>(
        "SELECT COALESCE(MAX(version), 0) AS n FROM schema_migrations",
      );
      for (let version = (rows[0]?.n ?? 0) + 1; version <= migrations.length; version++) {
        await client.query("BEGIN");
        try {
          await client.query(migrations[version - 1] ?? "");
          await client.query("INSERT INTO schema_migrations VALUES ($1, $2)", [
            version,
            Date.now(),
          ]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK");
          throw err;
        }
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
