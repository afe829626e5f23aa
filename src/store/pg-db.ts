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
/** A Postgres that does not answer a connection in this long counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;

/** Errors of a connection that could not be made or was lost, not of a statement. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EPIPE",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down)
]);

/**
 * Whether `err` (or what caused it) says Postgres could not be reached, as opposed to a statement
 * that failed: a refused or lost connection, a connect timeout, SQLSTATE class 08.
 */
export function isStoreUnreachable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const { code, syscall } = e as { code?: unknown; syscall?: unknown };
    if (syscall === "connect") return true; // refused, no such socket, unreachable host
    if (typeof code === "string" && (UNREACHABLE_CODES.has(code) || code.startsWith("08"))) {
      return true;
    }
    if (/^Connection terminated|timeout exceeded when trying to connect/.test(e.message)) {
      return true;
    }
  }
  return false;
}

/**
 * A connection pool with the three things the Postgres store needs: a query, a transaction and
 * the migrations, which run under an advisory lock so that nodes starting together do not race.
 */
export class PgDb {
  readonly #pool: pg.Pool;
  readonly #logger: Logger | undefined;

  private constructor(pool: pg.Pool, logger: Logger | undefined) {
    this.#pool = pool;
    this.#logger = logger;
  }

  /** For a statement outside any transaction (the default `Queryable`). */
  get pool(): Queryable {
    return this.#pool;
  }

  /** Connects, retrying with back-off while Postgres is starting; a pool error is logged, not fatal. */
  static async connect(url: string, logger?: Logger, maxConnections = 20): Promise<PgDb> {
    const pool = new pg.Pool({
      connectionString: url,
      max: maxConnections,
      types,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    pool.on("error", (err) => logger?.warn({ err }, "postgres connection lost"));
    for (let attempt = 1; ; attempt++) {
      try {
        await pool.query("SELECT 1");
        return new PgDb(pool, logger);
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
    const client = await this.#checkOut();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
      throw err;
    } finally {
      // A client that could not even roll back is closed rather than handed to the next caller.
      client.release(broken);
    }
  }

  /**
   * A client of the pool's own. While checked out, its connection's errors (Postgres gone, a
   * write to a closed socket) are the pool's no longer: without a listener they would crash the
   * process, so they are logged; the statement in flight fails on its own.
   */
  async #checkOut(): Promise<pg.PoolClient> {
    const client = await this.#pool.connect();
    const onError = (err: Error) => this.#logger?.warn({ err }, "postgres connection lost");
    client.on("error", onError);
    const release = client.release.bind(client);
    client.release = (err?: Error | boolean) => {
      client.off("error", onError);
      release(err);
    };
    return client;
  }

  /** Applies the migrations not yet in `schema_migrations`, each in its own transaction. */
  async migrate(migrations: readonly string[]): Promise<void> {
    const client = await this.#checkOut();
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
