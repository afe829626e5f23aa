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
import { SqliteAccounts } from "./sqlite-accounts.ts";
import { SqliteQueue } from "./sqlite-queue.ts";
import {
  egressOf,
  MIGRATIONS,
  toFileRow,
  toSessionRow,
  type FileRecord,
  type ProfileRecord,
  type ScrapeRecord,
  type SessionRecord,
} from "./sqlite-schema.ts";
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
    this.#db
      .prepare(
        `INSERT INTO scrapes (id, team_id, url, options, document, created_at, bytes_in, bytes_out,
           credits_used)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        row.id,
        row.teamId,
        row.url,
        row.options === null ? null : JSON.stringify(row.options),
        row.documentJson,
        row.createdAt,
        row.egress?.bytesIn ?? null,
        row.egress?.bytesOut ?? null,
        row.creditsUsed ?? null,
      );
  }

  getScrape(id: string): Promise<ScrapeRow | undefined> {
    const r = this.#db.prepare(`SELECT * FROM scrapes WHERE id = ?`).get(id) as
      ScrapeRecord | undefined;
    return Promise.resolve(
      r && {
        id: r.id,
        teamId: r.team_id,
        url: r.url,
        options: r.options === null ? null : (JSON.parse(r.options) as unknown),
        documentJson: r.document,
        createdAt: r.created_at,
        egress: egressOf(r),
        ...(r.credits_used !== null && { creditsUsed: r.credits_used }),
      },
    );
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
        `INSERT INTO files (token, team_id, path, content_type, expires_at) VALUES (?, ?, ?, ?, ?)`,
      )
      .run(row.token, row.teamId, row.path, row.contentType, row.expiresAt);
    return Promise.resolve();
  }

  getFile(token: string): Promise<FileRow | undefined> {
    const r = this.#db.prepare(`SELECT * FROM files WHERE token = ?`).get(token) as
      FileRecord | undefined;
    return Promise.resolve(r && toFileRow(r));
  }

  takeExpiredFiles(now: number): Promise<FileRow[]> {
    const rows = this.#db
      .prepare(`DELETE FROM files WHERE expires_at <= ? RETURNING *`)
      .all(now) as FileRecord[];
    return Promise.resolve(rows.map(toFileRow));
  }

  insertSession(row: SessionRow): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO sessions (id, team_id, scrape_id, status, created_at, last_activity_at,
           used_prompt, owner_pid, host_pid, ended_at, end_reason, duration_ms, credits_billed,
           profile_writer)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        row.id,
        row.teamId,
        row.scrapeId,
        row.status,
        row.createdAt,
        row.lastActivityAt,
        row.usedPrompt ? 1 : 0,
        row.ownerPid,
        row.hostPid,
        row.endedAt,
        row.endReason,
        row.durationMs,
        row.creditsBilled,
        row.profileWriter,
      );
    return Promise.resolve();
  }

  getSessionByScrape(scrapeId: string): Promise<SessionRow | undefined> {
    const r = this.#db.prepare(`SELECT * FROM sessions WHERE scrape_id = ?`).get(scrapeId) as
      SessionRecord | undefined;
    return Promise.resolve(r && toSessionRow(r));
  }

  touchSession(id: string, at: number, opts: { usedPrompt?: boolean } = {}): Promise<void> {
    this.#db
      .prepare(
        `UPDATE sessions SET last_activity_at = max(last_activity_at, ?),
           used_prompt = used_prompt OR ? WHERE id = ?`,
      )
      .run(at, opts.usedPrompt ? 1 : 0, id);
    return Promise.resolve();
  }

  setSessionHostPid(id: string, hostPid: number): Promise<void> {
    this.#db.prepare(`UPDATE sessions SET host_pid = ? WHERE id = ?`).run(hostPid, id);
    return Promise.resolve();
  }

  claimSessionEnded(id: string, end: SessionEnd): Promise<boolean> {
    const claimed = this.#db.transaction(() => {
      const session = this.#markEnded(id, end);
      if (session && end.creditsBilled > 0) {
        const ref = `session:${id}`;
        const charge = { teamId: session.team_id, delta: -end.creditsBilled, ref };
        this.#accounts.appendLedger({ ...charge, reason: "session", createdAt: end.endedAt });
      }
      return session !== undefined;
    })();
    return Promise.resolve(claimed);
  }

  /** The session's team when this call moved it from active to destroyed; else undefined. */
  #markEnded(id: string, end: SessionEnd): { team_id: string } | undefined {
    return this.#db
      .prepare(
        `UPDATE sessions SET status = 'destroyed', ended_at = ?, end_reason = ?, duration_ms = ?,
           credits_billed = ?, bytes_in = ?, bytes_out = ? WHERE id = ? AND status = 'active'
         RETURNING team_id`,
      )
      .get(
        end.endedAt,
        end.reason,
        end.durationMs,
        end.creditsBilled,
        end.egress?.bytesIn ?? null,
        end.egress?.bytesOut ?? null,
        id,
      ) as { team_id: string } | undefined;
  }

  listActiveSessions(): Promise<SessionRow[]> {
    const rows = this.#db
      .prepare(`SELECT * FROM sessions WHERE status = 'active'`)
      .all() as SessionRecord[];
    return Promise.resolve(rows.map(toSessionRow));
  }

  getSession(id: string): Promise<SessionRow | undefined> {
    const r = this.#db.prepare(`SELECT * FROM sessions WHERE id = ?`).get(id) as
      SessionRecord | undefined;
    return Promise.resolve(r && toSessionRow(r));
  }

  listSessions(teamId: string, status?: SessionStatus): Promise<SessionRow[]> {
    const rows = this.#db
      .prepare(
        `SELECT * FROM sessions WHERE team_id = ? AND (? IS NULL OR status = ?)
         ORDER BY created_at DESC, id DESC`,
      )
      .all(teamId, status ?? null, status ?? null) as SessionRecord[];
    return Promise.resolve(rows.map(toSessionRow));
  }

  putProfile(row: ProfileRow): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO profiles (team_id, name, sealed, size, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (team_id, name) DO UPDATE SET
           sealed = excluded.sealed, size = excluded.size, updated_at = excluded.updated_at`,
      )
      .run(row.teamId, row.name, row.sealed, row.size, row.updatedAt);
    return Promise.resolve();
  }

  getProfile(teamId: string, name: string): Promise<ProfileRow | undefined> {
    const r = this.#db
      .prepare(`SELECT * FROM profiles WHERE team_id = ? AND name = ?`)
      .get(teamId, name) as ProfileRecord | undefined;
    return Promise.resolve(
      r && {
        teamId: r.team_id,
        name: r.name,
        sealed: r.sealed,
        size: r.size,
        updatedAt: r.updated_at,
      },
    );
  }

  listProfiles(teamId: string): Promise<Omit<ProfileRow, "sealed">[]> {
    const rows = this.#db
      .prepare(
        `SELECT team_id, name, size, updated_at FROM profiles WHERE team_id = ? ORDER BY name`,
      )
      .all(teamId) as Omit<ProfileRecord, "sealed">[];
    return Promise.resolve(
      rows.map((r) => ({ teamId: r.team_id, name: r.name, size: r.size, updatedAt: r.updated_at })),
    );
  }

  deleteProfile(teamId: string, name: string): Promise<boolean> {
    const changes = this.#db
      .prepare(`DELETE FROM profiles WHERE team_id = ? AND name = ?`)
      .run(teamId, name).changes;
    return Promise.resolve(changes === 1);
  }

  acquireProfileWriter(
    teamId: string,
    name: string,
    holder: string,
    now: number,
    expiresAt: number,
  ): Promise<boolean> {
    const changes = this.#db
      .prepare(
        `INSERT INTO profile_writers (team_id, name, holder, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (team_id, name) DO UPDATE SET
           holder = excluded.holder, expires_at = excluded.expires_at
         WHERE profile_writers.expires_at <= ? OR profile_writers.holder = excluded.holder`,
      )
      .run(teamId, name, holder, expiresAt, now).changes;
    return Promise.resolve(changes === 1);
  }

  releaseProfileWriter(teamId: string, name: string, holder: string): Promise<void> {
    this.#db
      .prepare(`DELETE FROM profile_writers WHERE team_id = ? AND name = ? AND holder = ?`)
      .run(teamId, name, holder);
    return Promise.resolve();
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

  jobGroupCounts(id: string): Promise<JobGroupCounts> {
    return Promise.resolve(this.#queue.jobGroupCounts(id));
  }

  listJobGroupPages(id: string, skip: number, limit: number): Promise<string[]> {
    return Promise.resolve(this.#queue.listJobGroupPages(id, skip, limit));
  }

  listJobGroupErrors(id: string): Promise<JobError[]> {
    return Promise.resolve(this.#queue.listJobGroupErrors(id));
  }

  listRobotsBlocked(id: string): Promise<string[]> {
    return Promise.resolve(this.#queue.listRobotsBlocked(id));
  }

  listActiveJobGroups(teamId: string, kind: JobGroupKind): Promise<JobGroupRow[]> {
    return Promise.resolve(this.#queue.listActiveJobGroups(teamId, kind));
  }

  claimJobEvents(request: { now: number; max: number; leaseMs: number }): Promise<JobEvent[]> {
    return Promise.resolve(this.#queue.claimJobEvents(request));
  }

  finishJobEvent(event: JobEvent, outcome: EventOutcome): Promise<void> {
    return Promise.resolve(this.#queue.finishJobEvent(event, outcome));
  }

  getJobOutcome(jobId: string): Promise<JobOutcome | undefined> {
    return Promise.resolve(this.#queue.getJobOutcome(jobId));
  }

  requeueAbandonedJobs(owner: string, now: number): Promise<number> {
    return Promise.resolve(this.#queue.requeueAbandonedJobs(owner, now));
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
