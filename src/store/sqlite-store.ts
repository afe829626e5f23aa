import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { CacheEntry, FileRow, ScrapeRow, Store } from "./store.ts";

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
];

interface ScrapeRecord {
  id: string;
  team_id: string;
  url: string | null;
  options: string | null;
  document: string | null;
  created_at: number;
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
        `INSERT INTO scrapes (id, team_id, url, options, document, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(
        row.id,
        row.teamId,
        row.url,
        row.options === null ? null : JSON.stringify(row.options),
        row.documentJson,
        row.createdAt,
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
