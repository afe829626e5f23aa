import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type {
  CancelOutcome,
  EventOutcome,
  JobEvent,
  JobOutcome,
  ClaimRequest,
  ClaimedJob,
  JobError,
  JobFailure,
  JobGroupCounts,
  JobGroupKind,
  JobGroupRow,
  JobKind,
  JobSuccess,
  NewPage,
} from "./job-queue.ts";
import type { PageSnapshot } from "./change-history.ts";
import { SqliteAccounts } from "./sqlite-accounts.ts";
import { SqliteChangeHistory } from "./sqlite-change-history.ts";
import { SqliteJobReads } from "./sqlite-job-reads.ts";
import type { CreditHoldRequest, SlotRequest } from "./limits.ts";
import { SqliteLimits } from "./sqlite-limits.ts";
import { SqliteNodes } from "./sqlite-nodes.ts";
import type { NodeRow, ReapRequest } from "./nodes.ts";
import { SqliteProfiles } from "./sqlite-profiles.ts";
import { SqliteQueue } from "./sqlite-queue.ts";
import { SqliteSessions } from "./sqlite-sessions.ts";
import { MIGRATIONS } from "./sqlite-schema.ts";
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

export class SqliteStore implements Store {
  #db: Database.Database;
  #accounts: SqliteAccounts;
  #queue: SqliteQueue;
  #reads: SqliteJobReads;
  #sessions: SqliteSessions;
  #profiles: SqliteProfiles;
  #history: SqliteChangeHistory;
  #limits: SqliteLimits;
  #nodes: SqliteNodes;

  /** Opens (creating) `<dataDir>/skiff.db` in WAL mode and applies pending migrations. */
  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.#db = new Database(path.join(dataDir, "skiff.db"));
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = NORMAL");
    this.#db.pragma("busy_timeout = 5000");
    this.#migrate();
    this.#accounts = new SqliteAccounts(this.#db);
    this.#queue = new SqliteQueue(this.#db, this.#accounts);
    this.#reads = new SqliteJobReads(this.#db);
    this.#sessions = new SqliteSessions(this.#db, this.#accounts);
    this.#profiles = new SqliteProfiles(this.#db);
    this.#history = new SqliteChangeHistory(this.#db);
    this.#limits = new SqliteLimits(this.#db);
    this.#nodes = new SqliteNodes(this.#db);
  }

  #migrate(): void {
    const applied = this.#db.pragma("user_version", { simple: true }) as number;
    for (let i = applied; i < MIGRATIONS.length; i++) {
      this.#db.transaction(() => {
        this.#db.exec(MIGRATIONS[i] ?? "");
        this.#db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  insertScrape(row: ScrapeRow): Promise<void> {
    this.#db.transaction(() => {
      this.#insertScrapeRow(row);
      const credits = row.creditsUsed ?? 0;
      if (credits > 0) {
        const ref = `scrape:${row.id}`;
        const charge = { teamId: row.teamId, delta: -credits, reason: "scrape" as const, ref };
        this.#accounts.appendLedger({ ...charge, createdAt: row.createdAt });
      }
    })();
    return Promise.resolve();
  }

  #insertScrapeRow(row: ScrapeRow): void {
    const insert = scrapeInsert(row);
    this.#db.prepare(insertSql("scrapes", insert, () => "?")).run(...insert.values);
  }

  getScrape(id: string): Promise<ScrapeRow | undefined> {
    const r = this.#db.prepare(`SELECT * FROM scrapes WHERE id = ?`).get(id) as
      ScrapeRecord | undefined;
    return Promise.resolve(r && toScrapeRow(r));
  }

  getCached(key: string, notBefore: number): Promise<CacheEntry | undefined> {
    const r = this.#db
      .prepare(
        `SELECT url, document AS documentJson, cached_at AS cachedAt
         FROM document_cache WHERE cache_key = ? AND cached_at >= ?`,
      )
      .get(key, notBefore) as CacheEntry | undefined;
    return Promise.resolve(r);
  }

  putCached(key: string, entry: CacheEntry): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO document_cache (cache_key, url, document, cached_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (cache_key) DO UPDATE SET
           url = excluded.url, document = excluded.document, cached_at = excluded.cached_at`,
      )
      .run(key, entry.url, entry.documentJson, entry.cachedAt);
    return Promise.resolve();
  }

  insertFile(row: FileRow): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO files (token, team_id, content_type, bytes, expires_at) VALUES (?, ?, ?, ?, ?)`,
      )
      .run(row.token, row.teamId, row.contentType, row.bytes, row.expiresAt);
    return Promise.resolve();
  }

  getFile(token: string): Promise<FileRow | undefined> {
    const r = this.#db.prepare(`SELECT * FROM files WHERE token = ?`).get(token) as
      FileRecord | undefined;
    return Promise.resolve(r && toFileRow(r));
  }

  deleteExpiredFiles(now: number): Promise<number> {
    const { changes } = this.#db.prepare(`DELETE FROM files WHERE expires_at <= ?`).run(now);
    return Promise.resolve(changes);
  }

  insertSession(row: SessionRow): Promise<boolean> {
    return Promise.resolve(this.#sessions.insertSession(row));
  }

  discardSession(id: string): Promise<void> {
    return Promise.resolve(this.#sessions.discardSession(id));
  }

  getSessionByScrape(scrapeId: string): Promise<SessionRow | undefined> {
    return Promise.resolve(this.#sessions.getSessionByScrape(scrapeId));
  }

  touchSession(id: string, at: number, opts: { usedPrompt?: boolean } = {}): Promise<void> {
    return Promise.resolve(this.#sessions.touchSession(id, at, opts));
  }

  setSessionHostPid(id: string, hostPid: number, at: number): Promise<void> {
    return Promise.resolve(this.#sessions.setSessionHostPid(id, hostPid, at));
  }

  claimSessionEnded(id: string, end: SessionEnd): Promise<boolean> {
    return Promise.resolve(this.#sessions.claimSessionEnded(id, end));
  }

  listActiveSessions(): Promise<SessionRow[]> {
    return Promise.resolve(this.#sessions.listActiveSessions());
  }

  getSession(id: string): Promise<SessionRow | undefined> {
    return Promise.resolve(this.#sessions.getSession(id));
  }

  listSessions(teamId: string, status?: SessionStatus): Promise<SessionRow[]> {
    return Promise.resolve(this.#sessions.listSessions(teamId, status));
  }

  putProfile(row: ProfileRow): Promise<void> {
    return Promise.resolve(this.#profiles.putProfile(row));
  }

  getProfile(teamId: string, name: string): Promise<ProfileRow | undefined> {
    return Promise.resolve(this.#profiles.getProfile(teamId, name));
  }

  listProfiles(teamId: string): Promise<Omit<ProfileRow, "sealed">[]> {
    return Promise.resolve(this.#profiles.listProfiles(teamId));
  }

  deleteProfile(teamId: string, name: string): Promise<boolean> {
    return Promise.resolve(this.#profiles.deleteProfile(teamId, name));
  }

  acquireProfileWriter(
    teamId: string,
    name: string,
    holder: string,
    now: number,
    expiresAt: number,
  ): Promise<boolean> {
    return Promise.resolve(
      this.#profiles.acquireProfileWriter(teamId, name, holder, now, expiresAt),
    );
  }

  releaseProfileWriter(teamId: string, name: string, holder: string): Promise<void> {
    return Promise.resolve(this.#profiles.releaseProfileWriter(teamId, name, holder));
  }

  lastSnapshot(teamId: string, url: string, tag: string): Promise<PageSnapshot | undefined> {
    return Promise.resolve(this.#history.lastSnapshot(teamId, url, tag));
  }

  putSnapshot(snapshot: PageSnapshot): Promise<void> {
    return Promise.resolve(this.#history.putSnapshot(snapshot));
  }

  takeSlot(request: SlotRequest): Promise<boolean> {
    return Promise.resolve(this.#limits.takeSlot(request));
  }

  releaseSlot(holder: string): Promise<void> {
    return Promise.resolve(this.#limits.releaseSlot(holder));
  }

  holdCredits(request: CreditHoldRequest): Promise<boolean> {
    return Promise.resolve(this.#limits.holdCredits(request));
  }

  releaseCredits(ref: string): Promise<void> {
    return Promise.resolve(this.#limits.releaseCredits(ref));
  }

  registerNode(node: { id: string; internalUrl: string | null; now: number }): Promise<void> {
    return Promise.resolve(this.#nodes.registerNode(node));
  }

  heartbeatNode(id: string, now: number): Promise<boolean> {
    return Promise.resolve(this.#nodes.heartbeatNode(id, now));
  }

  reapNodes(request: ReapRequest): Promise<string[]> {
    return Promise.resolve(this.#nodes.reapNodes(request));
  }

  listNodes(): Promise<NodeRow[]> {
    return Promise.resolve(this.#nodes.listNodes());
  }

  createTeam(row: TeamRow): Promise<void> {
    return Promise.resolve(this.#accounts.createTeam(row));
  }

  getTeam(id: string): Promise<TeamRow | undefined> {
    return Promise.resolve(this.#accounts.getTeam(id));
  }

  listTeams(): Promise<(TeamRow & TeamBalance)[]> {
    return Promise.resolve(this.#accounts.listTeams());
  }

  insertApiKey(row: ApiKeyRow): Promise<void> {
    return Promise.resolve(this.#accounts.insertApiKey(row));
  }

  findApiKey(hash: string): Promise<ApiKeyRow | undefined> {
    return Promise.resolve(this.#accounts.findApiKey(hash));
  }

  listApiKeys(teamId: string): Promise<ApiKeyRow[]> {
    return Promise.resolve(this.#accounts.listApiKeys(teamId));
  }

  revokeApiKey(id: string, at: number): Promise<boolean> {
    return Promise.resolve(this.#accounts.revokeApiKey(id, at));
  }

  appendLedger(entry: LedgerEntry): Promise<boolean> {
    return Promise.resolve(this.#accounts.appendLedger(entry));
  }

  ledger(teamId: string): Promise<LedgerEntry[]> {
    return Promise.resolve(this.#accounts.ledger(teamId));
  }

  teamBalance(teamId: string): Promise<TeamBalance> {
    return Promise.resolve(this.#accounts.teamBalance(teamId));
  }

  createJobGroup(group: JobGroupRow, first: { kind: JobKind; pages: NewPage[] }): Promise<void> {
    return Promise.resolve(this.#queue.createJobGroup(group, first));
  }

  getJobGroup(id: string): Promise<JobGroupRow | undefined> {
    return Promise.resolve(this.#queue.getJobGroup(id));
  }

  claimJobs(request: ClaimRequest): Promise<ClaimedJob[]> {
    return Promise.resolve(this.#queue.claimJobs(request));
  }

  completeJob(job: ClaimedJob, success: JobSuccess): Promise<boolean> {
    return Promise.resolve(this.#queue.completeJob(job, success));
  }

  failJob(job: ClaimedJob, failure: JobFailure): Promise<boolean> {
    return Promise.resolve(this.#queue.failJob(job, failure));
  }

  enqueuePages(groupId: string, pages: NewPage[], now: number): Promise<number> {
    return Promise.resolve(this.#queue.enqueuePages(groupId, pages, now));
  }

  lockUrl(groupId: string, key: string): Promise<boolean> {
    return Promise.resolve(this.#queue.lockUrl(groupId, key));
  }

  cancelJobGroup(id: string, now: number): Promise<CancelOutcome> {
    return Promise.resolve(this.#queue.cancelJobGroup(id, now));
  }

  failJobGroup(id: string, error: string, now: number): Promise<void> {
    return Promise.resolve(this.#queue.failJobGroup(id, error, now));
  }

  deleteExpiredJobGroups(now: number, max: number): Promise<string[]> {
    return Promise.resolve(this.#queue.deleteExpiredJobGroups(now, max));
  }

  jobGroupCounts(id: string): Promise<JobGroupCounts> {
    return Promise.resolve(this.#reads.jobGroupCounts(id));
  }

  listJobGroupPages(id: string, skip: number, limit: number): Promise<string[]> {
    return Promise.resolve(this.#reads.listJobGroupPages(id, skip, limit));
  }

  listJobGroupErrors(id: string): Promise<JobError[]> {
    return Promise.resolve(this.#reads.listJobGroupErrors(id));
  }

  listRobotsBlocked(id: string): Promise<string[]> {
    return Promise.resolve(this.#reads.listRobotsBlocked(id));
  }

  listActiveJobGroups(teamId: string, kind: JobGroupKind): Promise<JobGroupRow[]> {
    return Promise.resolve(this.#reads.listActiveJobGroups(teamId, kind));
  }

  claimJobEvents(request: { now: number; max: number; leaseMs: number }): Promise<JobEvent[]> {
    return Promise.resolve(this.#queue.events.claimJobEvents(request));
  }

  finishJobEvent(event: JobEvent, outcome: EventOutcome): Promise<void> {
    return Promise.resolve(this.#queue.events.finishJobEvent(event, outcome));
  }

  getJobOutcome(jobId: string): Promise<JobOutcome | undefined> {
    return Promise.resolve(this.#queue.events.getJobOutcome(jobId));
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
