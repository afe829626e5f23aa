import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type {
  CacheEntry,
  EgressBytes,
  FileRow,
  ProfileRow,
  ScrapeRow,
  SessionEnd,
  SessionEndReason,
  SessionRow,
  SessionStatus,
  Store,
} from "./store.ts";

/** Each entry runs once, in order; the applied count lives in `PRAGMA user_version`. */
const MIGRATIONS = [
  `CREATE TABLE scrapes (
     id TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     url TEXT,
     options TEXT,
     document TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE document_cache (
     cache_key TEXT PRIMARY KEY,
     url TEXT NOT NULL,
     document TEXT NOT NULL,
     cached_at INTEGER NOT NULL
   );
   CREATE TABLE files (
     token TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     path TEXT NOT NULL,
     content_type TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX files_expires_at ON files (expires_at);`,
  `CREATE TABLE sessions (
     id TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     scrape_id TEXT,
     status TEXT NOT NULL CHECK (status IN ('active', 'destroyed')),
     created_at INTEGER NOT NULL,
     last_activity_at INTEGER NOT NULL,
     used_prompt INTEGER NOT NULL DEFAULT 0,
     owner_pid INTEGER NOT NULL,
     host_pid INTEGER,
     ended_at INTEGER,
     end_reason TEXT,
     duration_ms INTEGER,
     credits_billed INTEGER
   );
   CREATE UNIQUE INDEX sessions_scrape_id ON sessions (scrape_id);
   CREATE INDEX sessions_status ON sessions (status);`,
  `ALTER TABLE scrapes ADD COLUMN bytes_in INTEGER;
   ALTER TABLE scrapes ADD COLUMN bytes_out INTEGER;
   ALTER TABLE sessions ADD COLUMN bytes_in INTEGER;
   ALTER TABLE sessions ADD COLUMN bytes_out INTEGER;`,
  `CREATE TABLE profiles (
     team_id TEXT NOT NULL,
     name TEXT NOT NULL,
     sealed BLOB NOT NULL,
     size INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (team_id, name)
   );
   CREATE TABLE profile_writers (
     team_id TEXT NOT NULL,
     name TEXT NOT NULL,
     holder TEXT NOT NULL,
     expires_at INTEGER NOT NULL,
     PRIMARY KEY (team_id, name)
   );`,
  `ALTER TABLE sessions ADD COLUMN profile_writer TEXT;`,
];

interface ScrapeRecord {
  id: string;
  team_id: string;
  url: string | null;
  options: string | null;
  document: string | null;
  created_at: number;
  bytes_in: number | null;
  bytes_out: number | null;
}

interface SessionRecord {
  id: string;
  team_id: string;
  scrape_id: string | null;
  status: SessionStatus;
  created_at: number;
  last_activity_at: number;
  used_prompt: number;
  owner_pid: number;
  host_pid: number | null;
  ended_at: number | null;
  end_reason: SessionEndReason | null;
  duration_ms: number | null;
  credits_billed: number | null;
  bytes_in: number | null;
  bytes_out: number | null;
  profile_writer: string | null;
}

interface ProfileRecord {
  team_id: string;
  name: string;
  sealed: Buffer;
  size: number;
  updated_at: number;
}

interface FileRecord {
  token: string;
  team_id: string;
  path: string;
  content_type: string;
  expires_at: number;
}

export class SqliteStore implements Store {
  #db: Database.Database;

  /** Opens (creating) `<dataDir>/skiff.db` in WAL mode and applies pending migrations. */
  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.#db = new Database(path.join(dataDir, "skiff.db"));
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = NORMAL");
    this.#db.pragma("busy_timeout = 5000");
    this.#migrate();
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
    this.#db
      .prepare(
        `INSERT INTO scrapes (id, team_id, url, options, document, created_at, bytes_in, bytes_out)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
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
      );
    return Promise.resolve();
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
    const changed = this.#db
      .prepare(
        `UPDATE sessions SET status = 'destroyed', ended_at = ?, end_reason = ?, duration_ms = ?,
           credits_billed = ?, bytes_in = ?, bytes_out = ? WHERE id = ? AND status = 'active'`,
      )
      .run(
        end.endedAt,
        end.reason,
        end.durationMs,
        end.creditsBilled,
        end.egress?.bytesIn ?? null,
        end.egress?.bytesOut ?? null,
        id,
      ).changes;
    return Promise.resolve(changed === 1);
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

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}

function toFileRow(r: FileRecord): FileRow {
  return {
    token: r.token,
    teamId: r.team_id,
    path: r.path,
    contentType: r.content_type,
    expiresAt: r.expires_at,
  };
}

function toSessionRow(r: SessionRecord): SessionRow {
  return {
    id: r.id,
    teamId: r.team_id,
    scrapeId: r.scrape_id,
    status: r.status,
    createdAt: r.created_at,
    lastActivityAt: r.last_activity_at,
    usedPrompt: r.used_prompt === 1,
    ownerPid: r.owner_pid,
    hostPid: r.host_pid,
    endedAt: r.ended_at,
    endReason: r.end_reason,
    durationMs: r.duration_ms,
    creditsBilled: r.credits_billed,
    egress: egressOf(r),
    profileWriter: r.profile_writer,
  };
}

function egressOf(r: { bytes_in: number | null; bytes_out: number | null }): EgressBytes | null {
  return r.bytes_in === null ? null : { bytesIn: r.bytes_in, bytesOut: r.bytes_out ?? 0 };
}
