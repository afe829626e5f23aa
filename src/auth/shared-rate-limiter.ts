import pg from "pg";
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import type { Logger } from "../log.ts";
import { rateLimited, type RateLimited, type TeamRateLimiter } from "./rate-limiter.ts";

/** The table the store's migrations create, in the shape rate-limiter-flexible expects. */
const TABLE = "rate_limits";

/**
 * TEAM_RATE_LIMIT_PER_MINUTE across every node on one Postgres: rate-limiter-flexible counts each
 * team's minute in a shared row (one upsert per request). If Postgres stops answering, an
 * in-process limiter of the same size takes over, so requests are still limited and never fail.
 */
export class SharedRateLimiter implements TeamRateLimiter {
  readonly #pool: pg.Pool;
  readonly #limiter: RateLimiterPostgres;

  constructor(databaseUrl: string, perMinute: number, logger: Logger) {
    this.#pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    this.#pool.on("error", (err) => logger.warn({ err }, "rate limiter lost a connection"));
    this.#limiter = new RateLimiterPostgres({
      storeClient: this.#pool,
      storeType: "pool",
      tableName: TABLE,
      tableCreated: true,
      keyPrefix: "team",
      points: perMinute,
      duration: 60,
      insuranceLimiter: new RateLimiterMemory({ points: perMinute, duration: 60 }),
    });
  }

  async take(teamId: string): Promise<RateLimited | undefined> {
    try {
      await this.#limiter.consume(teamId);
      return undefined;
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      const now = Date.now();
      return rateLimited(refusal.consumedPoints, now + refusal.msBeforeNext, now);
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
