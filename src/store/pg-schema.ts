// The Postgres schema: the same tables and columns as sqlite-schema.ts, in Postgres's types.
// Timestamps are ms since the epoch (BIGINT, read back as numbers by pg-db.ts); documents are TEXT,
// never JSONB, whose key order and whitespace would not survive. A new migration lands in both.

/** Each entry runs once, in order, recorded in `schema_migrations` (pg-db.ts). */
export const PG_MIGRATIONS = [
  // SQLite migrations 1–8, as one.
  `CREATE TABLE scrapes (
     id TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     url TEXT,
     options TEXT,
     document TEXT,
     created_at BIGINT NOT NULL,
     bytes_in BIGINT,
     bytes_out BIGINT,
     credits_used BIGINT
   );
   CREATE TABLE document_cache (
     cache_key TEXT PRIMARY KEY,
     url TEXT NOT NULL,
     document TEXT NOT NULL,
     cached_at BIGINT NOT NULL
   );
   CREATE TABLE files (
     token TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     path TEXT NOT NULL,
     content_type TEXT NOT NULL,
     expires_at BIGINT NOT NULL
   );
   CREATE INDEX files_expires_at ON files (expires_at);
   CREATE TABLE sessions (
     id TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     scrape_id TEXT,
     status TEXT NOT NULL CHECK (status IN ('active', 'destroyed')),
     created_at BIGINT NOT NULL,
     last_activity_at BIGINT NOT NULL,
     used_prompt INTEGER NOT NULL DEFAULT 0,
     owner_pid INTEGER NOT NULL,
     host_pid INTEGER,
     ended_at BIGINT,
     end_reason TEXT,
     duration_ms BIGINT,
     credits_billed BIGINT,
     bytes_in BIGINT,
     bytes_out BIGINT,
     profile_writer TEXT
   );
   CREATE UNIQUE INDEX sessions_scrape_id ON sessions (scrape_id);
   CREATE INDEX sessions_status ON sessions (status);
   CREATE TABLE profiles (
     team_id TEXT NOT NULL,
     name TEXT NOT NULL,
     sealed BYTEA NOT NULL,
     size BIGINT NOT NULL,
     updated_at BIGINT NOT NULL,
     PRIMARY KEY (team_id, name)
   );
   CREATE TABLE profile_writers (
     team_id TEXT NOT NULL,
     name TEXT NOT NULL,
     holder TEXT NOT NULL,
     expires_at BIGINT NOT NULL,
     PRIMARY KEY (team_id, name)
   );
   CREATE TABLE teams (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     created_at BIGINT NOT NULL
   );
   CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     hash TEXT NOT NULL UNIQUE,
     prefix TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     revoked_at BIGINT
   );
   CREATE INDEX api_keys_team_id ON api_keys (team_id);
   CREATE TABLE credit_ledger (
     id BIGSERIAL PRIMARY KEY,
     team_id TEXT NOT NULL,
     delta BIGINT NOT NULL,
     reason TEXT NOT NULL CHECK (reason IN ('grant', 'scrape', 'session')),
     ref TEXT NOT NULL UNIQUE,
     created_at BIGINT NOT NULL
   );
   CREATE INDEX credit_ledger_team_id ON credit_ledger (team_id);
   CREATE TABLE job_groups (
     id TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('crawl', 'batch')),
     url TEXT,
     request TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('scraping', 'completed', 'failed', 'cancelled')),
     page_limit INTEGER,
     max_concurrency INTEGER,
     delay_ms BIGINT NOT NULL DEFAULT 0,
     next_start_at BIGINT NOT NULL DEFAULT 0,
     counted INTEGER NOT NULL DEFAULT 0,
     webhook INTEGER NOT NULL DEFAULT 0,
     created_at BIGINT NOT NULL,
     finished_at BIGINT,
     error TEXT,
     retention_ms BIGINT NOT NULL DEFAULT 86400000
   );
   CREATE INDEX job_groups_team ON job_groups (team_id, kind, status);
   CREATE INDEX job_groups_finished ON job_groups (finished_at) WHERE finished_at IS NOT NULL;
   CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     group_id TEXT NOT NULL,
     team_id TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('kickoff', 'page')),
     url TEXT NOT NULL,
     depth INTEGER NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('queued', 'active', 'done', 'failed', 'cancelled')),
     run_after BIGINT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     lease_owner TEXT,
     lease_token TEXT,
     lease_expires_at BIGINT,
     created_at BIGINT NOT NULL,
     finished_at BIGINT,
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
     seq BIGSERIAL PRIMARY KEY,
     job_id TEXT NOT NULL UNIQUE,
     group_id TEXT NOT NULL,
     document TEXT,
     credits_used BIGINT NOT NULL,
     finished_at BIGINT NOT NULL
   );
   CREATE INDEX job_pages_group ON job_pages (group_id, seq);
   CREATE TABLE job_events (
     seq BIGSERIAL PRIMARY KEY,
     group_id TEXT NOT NULL,
     type TEXT NOT NULL CHECK (type IN ('started', 'page', 'completed')),
     job_id TEXT,
     state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'active', 'sent', 'failed')),
     attempts INTEGER NOT NULL DEFAULT 0,
     run_after BIGINT NOT NULL,
     lease_token TEXT,
     lease_expires_at BIGINT,
     error TEXT
   );
   CREATE INDEX job_events_pending ON job_events (group_id, seq) WHERE state IN ('pending', 'active');
   CREATE TABLE job_robots_blocked (
     group_id TEXT NOT NULL,
     url TEXT NOT NULL,
     PRIMARY KEY (group_id, url)
   );`,
  // SQLite migration 9: team limits as rows (limits.ts).
  `CREATE TABLE team_slots (
     holder TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('session', 'scrape')),
     node_id TEXT NOT NULL,
     expires_at BIGINT NOT NULL
   );
   CREATE INDEX team_slots_team ON team_slots (team_id, kind);
   CREATE TABLE credit_holds (
     ref TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     amount BIGINT NOT NULL,
     node_id TEXT NOT NULL,
     expires_at BIGINT NOT NULL
   );
   CREATE INDEX credit_holds_team ON credit_holds (team_id);`,
  // SQLite migration 10: nodes sharing the store (nodes.ts).
  `CREATE TABLE nodes (
     id TEXT PRIMARY KEY,
     internal_url TEXT,
     started_at BIGINT NOT NULL,
     heartbeat_at BIGINT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('alive', 'dead'))
   );
   CREATE INDEX nodes_alive ON nodes (heartbeat_at) WHERE status = 'alive';`,
  // The team rate limit's windows, shared by every node (src/auth/shared-rate-limiter.ts), in the
  // shape rate-limiter-flexible reads and writes. Postgres only: one node counts in memory.
  `CREATE TABLE rate_limits (
     key VARCHAR(255) PRIMARY KEY,
     points INTEGER NOT NULL DEFAULT 0,
     expire BIGINT
   );`,
  // SQLite migration 11: which node runs each session (nodes.ts).
  `ALTER TABLE sessions ADD COLUMN node_id TEXT;`,
  // SQLite migration 12: a file's bytes in its row; rows from before, on one node's disk, dropped.
  `DROP TABLE files;
   CREATE TABLE files (
     token TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     content_type TEXT NOT NULL,
     bytes BYTEA NOT NULL,
     expires_at BIGINT NOT NULL
   );
   CREATE INDEX files_expires_at ON files (expires_at);`,
  // Change tracking (spec §7.3): each team's last markdown of a URL per tag (change-history.ts).
  `CREATE TABLE change_history (
     team_id TEXT NOT NULL,
     url TEXT NOT NULL,
     tag TEXT NOT NULL,
     markdown TEXT NOT NULL,
     scraped_at BIGINT NOT NULL,
     PRIMARY KEY (team_id, url, tag)
   );`,
  // Extract jobs (src/extract/): a third group kind and job kind.
  `ALTER TABLE job_groups DROP CONSTRAINT job_groups_kind_check;
   ALTER TABLE job_groups ADD CONSTRAINT job_groups_kind_check
     CHECK (kind IN ('crawl', 'batch', 'extract'));
   ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
   ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('kickoff', 'page', 'extract'));`,
];
