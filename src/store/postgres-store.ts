import type { Logger } from "../log.ts";
import type {
  CancelOutcome,
  ClaimRequest,
  ClaimedJob,
  EventOutcome,
  JobError,
  JobEvent,
  JobFailure,
  JobGroupCounts,
  JobGroupKind,
  JobGroupRow,
  JobKind,
  JobOutcome,
  JobSuccess,
  NewPage,
} from "./job-queue.ts";
import type { PageSnapshot } from "./change-history.ts";
import { PgAccounts } from "./pg-accounts.ts";
import { PgChangeHistory } from "./pg-change-history.ts";
import type { CreditHoldRequest, SlotRequest } from "./limits.ts";
import { PgDb, pgPlaceholder } from "./pg-db.ts";
import { PgLimits } from "./pg-limits.ts";
import { PgNodes } from "./pg-nodes.ts";
import type { NodeRow, ReapRequest } from "./nodes.ts";
import { PgProfiles } from "./pg-profiles.ts";
import { PgQueue } from "./pg-queue.ts";
import { PG_MIGRATIONS } from "./pg-schema.ts";
import { PgSessions } from "./pg-sessions.ts";
import {
  insertSql,
  scrapeInsert,
  toFileRow,
  toScrapeRow,
  type FileRecord,
  type ScrapeRecord,
} from "./store-records.ts";
import type {
  ApiKeyRow,
  CacheEntry,
  FileRow,
  LedgerEntry,
  ProfileRow,
  ScrapeRow,
  SessionEnd,
  SessionRow,
  SessionStatus,
  Store,
  TeamBalance,
  TeamRow,
} from "./store.ts";

/**
 * The Store on Postgres, selected by DATABASE_URL, so that several nodes share one state. The
 * same contract as SqliteStore (store-contract.ts runs on both); each operation is one statement
 * or one transaction, safe with many connections at once.
 */
export class PostgresStore implements Store {
  readonly #db: PgDb;
  readonly #accounts: PgAccounts;
  readonly #sessions: PgSessions;
  readonly #profiles: PgProfiles;
  readonly #history: PgChangeHistory;
  readonly #queue: PgQueue;
  readonly #limits: PgLimits;
  readonly #nodes: PgNodes;

  private constructor(db: PgDb) {
    this.#db = db;
    this.#accounts = new PgAccounts(db);
    this.#sessions = new PgSessions(db, this.#accounts);
    this.#profiles = new PgProfiles(db);
    this.#history = new PgChangeHistory(db);
    this.#queue = new PgQueue(db, this.#accounts);
    this.#limits = new PgLimits(db);
    this.#nodes = new PgNodes(db);
  }

  /** Connects (retrying while Postgres starts) and applies pending migrations. */
  static async open(url: string, logger?: Logger): Promise<PostgresStore> {
    const db = await PgDb.connect(url, logger);
    await db.migrate(PG_MIGRATIONS);
    return new PostgresStore(db);
  }

  async insertScrape(row: ScrapeRow): Promise<void> {
    await this.#db.tx(async (client) => {
      const insert = scrapeInsert(row);
      await client.query(insertSql("scrapes", insert, pgPlaceholder), insert.values);
      const credits = row.creditsUsed ?? 0;
      if (credits > 0) {
        const charge = { teamId: row.teamId, delta: -credits, ref: `scrape:${row.id}` };
        await this.#accounts.appendLedger(
          { ...charge, reason: "scrape", createdAt: row.createdAt },
          client,
        );
      }
    });
  }

  async getScrape(id: string): Promise<ScrapeRow | undefined> {
    const r = await this.#db.one<ScrapeRecord>(`SELECT * FROM scrapes WHERE id = $1`, [id]);
    return r && toScrapeRow(r);
  }

  getCached(key: string, notBefore: number): Promise<CacheEntry | undefined> {
    return this.#db.one<CacheEntry>(
      `SELECT url, document AS "documentJson", cached_at AS "cachedAt"
       FROM document_cache WHERE cache_key = $1 AND cached_at >= $2`,
      [key, notBefore],
    );
  }

  async putCached(key: string, entry: CacheEntry): Promise<void> {
    await this.#db.query(
      `INSERT INTO document_cache (cache_key, url, document, cached_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (cache_key) DO UPDATE SET
         url = excluded.url, document = excluded.document, cached_at = excluded.cached_at`,
      [key, entry.url, entry.documentJson, entry.cachedAt],
    );
  }

  async insertFile(row: FileRow): Promise<void> {
    await this.#db.query(
      `INSERT INTO files (token, team_id, content_type, bytes, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [row.token, row.teamId, row.contentType, row.bytes, row.expiresAt],
    );
  }

  async getFile(token: string): Promise<FileRow | undefined> {
    const r = await this.#db.one<FileRecord>(`SELECT * FROM files WHERE token = $1`, [token]);
    return r && toFileRow(r);
  }

  async deleteExpiredFiles(now: number): Promise<number> {
    const { rowCount } = await this.#db.pool.query(`DELETE FROM files WHERE expires_at <= $1`, [
      now,
    ]);
    return rowCount ?? 0;
  }

  insertSession(row: SessionRow): Promise<boolean> {
    return this.#sessions.insertSession(row);
  }

  discardSession(id: string): Promise<void> {
    return this.#sessions.discardSession(id);
  }

  getSessionByScrape(scrapeId: string): Promise<SessionRow | undefined> {
    return this.#sessions.getSessionByScrape(scrapeId);
  }

  touchSession(id: string, at: number, opts: { usedPrompt?: boolean } = {}): Promise<void> {
    return this.#sessions.touchSession(id, at, opts);
  }

  setSessionHostPid(id: string, hostPid: number, at: number): Promise<void> {
    return this.#sessions.setSessionHostPid(id, hostPid, at);
  }

  claimSessionEnded(id: string, end: SessionEnd): Promise<boolean> {
    return this.#sessions.claimSessionEnded(id, end);
  }

  listActiveSessions(): Promise<SessionRow[]> {
    return this.#sessions.listActiveSessions();
  }

  getSession(id: string): Promise<SessionRow | undefined> {
    return this.#sessions.getSession(id);
  }

  listSessions(teamId: string, status?: SessionStatus): Promise<SessionRow[]> {
    return this.#sessions.listSessions(teamId, status);
  }

  putProfile(row: ProfileRow): Promise<void> {
    return this.#profiles.putProfile(row);
  }

  getProfile(teamId: string, name: string): Promise<ProfileRow | undefined> {
    return this.#profiles.getProfile(teamId, name);
  }

  listProfiles(teamId: string): Promise<Omit<ProfileRow, "sealed">[]> {
    return this.#profiles.listProfiles(teamId);
  }

  deleteProfile(teamId: string, name: string): Promise<boolean> {
    return this.#profiles.deleteProfile(teamId, name);
  }

  acquireProfileWriter(
    teamId: string,
    name: string,
    holder: string,
    now: number,
    expiresAt: number,
  ): Promise<boolean> {
    return this.#profiles.acquireProfileWriter(teamId, name, holder, now, expiresAt);
  }

  releaseProfileWriter(teamId: string, name: string, holder: string): Promise<void> {
    return this.#profiles.releaseProfileWriter(teamId, name, holder);
  }

  lastSnapshot(teamId: string, url: string, tag: string): Promise<PageSnapshot | undefined> {
    return this.#history.lastSnapshot(teamId, url, tag);
  }

  putSnapshot(snapshot: PageSnapshot): Promise<void> {
    return this.#history.putSnapshot(snapshot);
  }

  takeSlot(request: SlotRequest): Promise<boolean> {
    return this.#limits.takeSlot(request);
  }

  releaseSlot(holder: string): Promise<void> {
    return this.#limits.releaseSlot(holder);
  }

  holdCredits(request: CreditHoldRequest): Promise<boolean> {
    return this.#limits.holdCredits(request);
  }

  releaseCredits(ref: string): Promise<void> {
    return this.#limits.releaseCredits(ref);
  }

  registerNode(node: { id: string; internalUrl: string | null; now: number }): Promise<void> {
    return this.#nodes.registerNode(node);
  }

  heartbeatNode(id: string, now: number): Promise<boolean> {
    return this.#nodes.heartbeatNode(id, now);
  }

  reapNodes(request: ReapRequest): Promise<string[]> {
    return this.#nodes.reapNodes(request);
  }

  listNodes(): Promise<NodeRow[]> {
    return this.#nodes.listNodes();
  }

  createTeam(row: TeamRow): Promise<void> {
    return this.#accounts.createTeam(row);
  }

  getTeam(id: string): Promise<TeamRow | undefined> {
    return this.#accounts.getTeam(id);
  }

  listTeams(): Promise<(TeamRow & TeamBalance)[]> {
    return this.#accounts.listTeams();
  }

  insertApiKey(row: ApiKeyRow): Promise<void> {
    return this.#accounts.insertApiKey(row);
  }

  findApiKey(hash: string): Promise<ApiKeyRow | undefined> {
    return this.#accounts.findApiKey(hash);
  }

  listApiKeys(teamId: string): Promise<ApiKeyRow[]> {
    return this.#accounts.listApiKeys(teamId);
  }

  revokeApiKey(id: string, at: number): Promise<boolean> {
    return this.#accounts.revokeApiKey(id, at);
  }

  appendLedger(entry: LedgerEntry): Promise<boolean> {
    return this.#accounts.appendLedger(entry);
  }

  ledger(teamId: string): Promise<LedgerEntry[]> {
    return this.#accounts.ledger(teamId);
  }

  teamBalance(teamId: string): Promise<TeamBalance> {
    return this.#accounts.teamBalance(teamId);
  }

  createJobGroup(group: JobGroupRow, first: { kind: JobKind; pages: NewPage[] }): Promise<void> {
    return this.#queue.createJobGroup(group, first);
  }

  getJobGroup(id: string): Promise<JobGroupRow | undefined> {
    return this.#queue.getJobGroup(id);
  }

  claimJobs(request: ClaimRequest): Promise<ClaimedJob[]> {
    return this.#queue.claimJobs(request);
  }

  completeJob(job: ClaimedJob, success: JobSuccess): Promise<boolean> {
    return this.#queue.completeJob(job, success);
  }

  failJob(job: ClaimedJob, failure: JobFailure): Promise<boolean> {
    return this.#queue.failJob(job, failure);
  }

  enqueuePages(groupId: string, pages: NewPage[], now: number): Promise<number> {
    return this.#queue.enqueuePages(groupId, pages, now);
  }

  lockUrl(groupId: string, key: string): Promise<boolean> {
    return this.#queue.lockUrl(groupId, key);
  }

  cancelJobGroup(id: string, now: number): Promise<CancelOutcome> {
    return this.#queue.cancelJobGroup(id, now);
  }

  failJobGroup(id: string, error: string, now: number): Promise<void> {
    return this.#queue.failJobGroup(id, error, now);
  }

  deleteExpiredJobGroups(now: number, max: number): Promise<string[]> {
    return this.#queue.deleteExpiredJobGroups(now, max);
  }

  jobGroupCounts(id: string): Promise<JobGroupCounts> {
    return this.#queue.jobGroupCounts(id);
  }

  listJobGroupPages(id: string, skip: number, limit: number): Promise<string[]> {
    return this.#queue.listJobGroupPages(id, skip, limit);
  }

  listJobGroupErrors(id: string): Promise<JobError[]> {
    return this.#queue.listJobGroupErrors(id);
  }

  listRobotsBlocked(id: string): Promise<string[]> {
    return this.#queue.listRobotsBlocked(id);
  }

  listActiveJobGroups(teamId: string, kind: JobGroupKind): Promise<JobGroupRow[]> {
    return this.#queue.listActiveJobGroups(teamId, kind);
  }

  claimJobEvents(request: { now: number; max: number; leaseMs: number }): Promise<JobEvent[]> {
    return this.#queue.claimJobEvents(request);
  }

  finishJobEvent(event: JobEvent, outcome: EventOutcome): Promise<void> {
    return this.#queue.finishJobEvent(event, outcome);
  }

  getJobOutcome(jobId: string): Promise<JobOutcome | undefined> {
    return this.#queue.getJobOutcome(jobId);
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
