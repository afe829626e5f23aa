import type { JobGroupKind, JobGroupRow } from "./job-queue.ts";
import type { EgressBytes, FileRow, SessionEndReason, SessionRow, SessionStatus } from "./store.ts";

/** Each entry runs once, in order; the applied count lives in `PRAGMA user_version`. */
export const MIGRATIONS = [
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
  // No foreign keys to teams: under AUTH=none the bypass team is charged but has no row.
  `CREATE TABLE teams (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     hash TEXT NOT NULL UNIQUE,
     prefix TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     revoked_at INTEGER
   );
   CREATE INDEX api_keys_team_id ON api_keys (team_id);
   CREATE TABLE credit_ledger (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     team_id TEXT NOT NULL,
     delta INTEGER NOT NULL CHECK (typeof(delta) = 'integer'),
     reason TEXT NOT NULL CHECK (reason IN ('grant', 'scrape', 'session')),
     ref TEXT NOT NULL UNIQUE,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX credit_ledger_team_id ON credit_ledger (team_id);
   ALTER TABLE scrapes ADD COLUMN credits_used INTEGER;`,
  // The job queue of crawls and batches (job-queue.ts). `counted` is the group's pages queued,
  // active or done, held against its limit; `job_urls` is its visited set.
  `CREATE TABLE job_groups (
     id TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('crawl', 'batch')),
     url TEXT,
     request TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('scraping', 'completed', 'failed', 'cancelled')),
     page_limit INTEGER,
     max_concurrency INTEGER,
     delay_ms INTEGER NOT NULL DEFAULT 0,
     next_start_at INTEGER NOT NULL DEFAULT 0,
     counted INTEGER NOT NULL DEFAULT 0,
     webhook INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     finished_at INTEGER,
     error TEXT
   );
   CREATE INDEX job_groups_team ON job_groups (team_id, kind, status);
   CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     group_id TEXT NOT NULL,
     team_id TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('kickoff', 'page')),
     url TEXT NOT NULL,
     depth INTEGER NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('queued', 'active', 'done', 'failed', 'cancelled')),
     run_after INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     lease_owner TEXT,
     lease_token TEXT,
     lease_expires_at INTEGER,
     created_at INTEGER NOT NULL,
     finished_at INTEGER,
     error_code TEXT,
     error TEXT
   );
   CREATE INDEX jobs_state ON jobs (state, run_after);
   CREATE INDEX jobs_group ON jobs (group_id, state);
   CREATE INDEX jobs_team_active ON jobs (team_id) WHERE state = 'active';
   CREATE TABLE job_urls (
     group_id TEXT NOT NULL,
     url_key TEXT NOT NULL,
     PRIMARY KEY (group_id, url_key)
   );
   CREATE TABLE job_pages (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     job_id TEXT NOT NULL UNIQUE,
     group_id TEXT NOT NULL,
     document TEXT,
     credits_used INTEGER NOT NULL,
     finished_at INTEGER NOT NULL
   );
   CREATE INDEX job_pages_group ON job_pages (group_id, seq);
   CREATE TABLE job_events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     group_id TEXT NOT NULL,
     type TEXT NOT NULL CHECK (type IN ('started', 'page', 'completed')),
     job_id TEXT,
     state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'active', 'sent', 'failed')),
     attempts INTEGER NOT NULL DEFAULT 0,
     run_after INTEGER NOT NULL,
     lease_token TEXT,
     lease_expires_at INTEGER,
     error TEXT
   );
   CREATE INDEX job_events_pending ON job_events (group_id, seq) WHERE state IN ('pending', 'active');
   CREATE TABLE job_robots_blocked (
     group_id TEXT NOT NULL,
     url TEXT NOT NULL,
     PRIMARY KEY (group_id, url)
   );`,
  // How long a crawl's or batch's results are kept once it ends (a day; less under ZDR).
  `ALTER TABLE job_groups ADD COLUMN retention_ms INTEGER NOT NULL DEFAULT 86400000;
   CREATE INDEX job_groups_finished ON job_groups (finished_at) WHERE finished_at IS NOT NULL;`,
];

export interface ScrapeRecord {
  id: string;
  team_id: string;
  url: string | null;
  options: string | null;
  document: string | null;
  created_at: number;
  bytes_in: number | null;
  bytes_out: number | null;
  credits_used: number | null;
}

export interface SessionRecord {
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

export interface ProfileRecord {
  team_id: string;
  name: string;
  sealed: Buffer;
  size: number;
  updated_at: number;
}

export interface FileRecord {
  token: string;
  team_id: string;
  path: string;
  content_type: string;
  expires_at: number;
}

export function toFileRow(r: FileRecord): FileRow {
  return {
    token: r.token,
    teamId: r.team_id,
    path: r.path,
    contentType: r.content_type,
    expiresAt: r.expires_at,
  };
}

export function toSessionRow(r: SessionRecord): SessionRow {
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

export function egressOf(r: {
  bytes_in: number | null;
  bytes_out: number | null;
}): EgressBytes | null {
  return r.bytes_in === null ? null : { bytesIn: r.bytes_in, bytesOut: r.bytes_out ?? 0 };
}

export interface GroupRecord {
  id: string;
  team_id: string;
  kind: JobGroupKind;
  url: string | null;
  request: string;
  status: JobGroupRow["status"];
  page_limit: number | null;
  max_concurrency: number | null;
  delay_ms: number;
  next_start_at: number;
  webhook: number;
  created_at: number;
  finished_at: number | null;
  error: string | null;
  retention_ms: number;
}

export function toGroupRow(r: GroupRecord): JobGroupRow {
  return {
    id: r.id,
    teamId: r.team_id,
    kind: r.kind,
    url: r.url,
    request: JSON.parse(r.request) as unknown,
    status: r.status,
    limit: r.page_limit,
    maxConcurrency: r.max_concurrency,
    delayMs: r.delay_ms,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    error: r.error,
    webhook: r.webhook === 1,
    retentionMs: r.retention_ms,
  };
}
