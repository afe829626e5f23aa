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
  // Team limits as rows (limits.ts): slots and credit holds, each with its holder's node.
  `CREATE TABLE team_slots (
     holder TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('session', 'scrape')),
     node_id TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX team_slots_team ON team_slots (team_id, kind);
   CREATE TABLE credit_holds (
     ref TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     amount INTEGER NOT NULL,
     node_id TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX credit_holds_team ON credit_holds (team_id);`,
  // Nodes sharing the store, with their heartbeats (nodes.ts).
  `CREATE TABLE nodes (
     id TEXT PRIMARY KEY,
     internal_url TEXT,
     started_at INTEGER NOT NULL,
     heartbeat_at INTEGER NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('alive', 'dead'))
   );
   CREATE INDEX nodes_alive ON nodes (heartbeat_at) WHERE status = 'alive';`,
  // Which node runs each session (nodes.ts).
  `ALTER TABLE sessions ADD COLUMN node_id TEXT;`,
  // A file's bytes move into its row, so any node sharing the store serves it (file-store.ts).
  // Rows from before point at one node's disk; they are screenshots and PDFs that expire within
  // FILE_TTL_HOURS, so they are dropped, not copied, and their old files in DATA_DIR/files stay.
  `DROP TABLE files;
   CREATE TABLE files (
     token TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     content_type TEXT NOT NULL,
     bytes BLOB NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX files_expires_at ON files (expires_at);`,
  // Change tracking (spec §7.3): each team's last markdown of a URL per tag (change-history.ts).
  `CREATE TABLE change_history (
     team_id TEXT NOT NULL,
     url TEXT NOT NULL,
     tag TEXT NOT NULL,
     markdown TEXT NOT NULL,
     scraped_at INTEGER NOT NULL,
     PRIMARY KEY (team_id, url, tag)
   );`,
  // Extract jobs (src/extract/): a third group kind and job kind. SQLite cannot alter a CHECK, so
  // both tables are rebuilt with every row and index kept (no foreign keys point at them).
  `CREATE TABLE job_groups_new (
     id TEXT PRIMARY KEY,
     team_id TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('crawl', 'batch', 'extract')),
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
     error TEXT,
     retention_ms INTEGER NOT NULL DEFAULT 86400000
   );
   INSERT INTO job_groups_new (id, team_id, kind, url, request, status, page_limit,
     max_concurrency, delay_ms, next_start_at, counted, webhook, created_at, finished_at, error,
     retention_ms)
   SELECT id, team_id, kind, url, request, status, page_limit, max_concurrency, delay_ms,
     next_start_at, counted, webhook, created_at, finished_at, error, retention_ms
   FROM job_groups;
   DROP TABLE job_groups;
   ALTER TABLE job_groups_new RENAME TO job_groups;
   CREATE INDEX job_groups_team ON job_groups (team_id, kind, status);
   CREATE INDEX job_groups_finished ON job_groups (finished_at) WHERE finished_at IS NOT NULL;
   CREATE TABLE jobs_new (
     id TEXT PRIMARY KEY,
     group_id TEXT NOT NULL,
     team_id TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('kickoff', 'page', 'extract')),
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
   INSERT INTO jobs_new (id, group_id, team_id, kind, url, depth, state, run_after, attempts,
     lease_owner, lease_token, lease_expires_at, created_at, finished_at, error_code, error)
   SELECT id, group_id, team_id, kind, url, depth, state, run_after, attempts, lease_owner,
     lease_token, lease_expires_at, created_at, finished_at, error_code, error
   FROM jobs;
   DROP TABLE jobs;
   ALTER TABLE jobs_new RENAME TO jobs;
   CREATE INDEX jobs_state ON jobs (state, run_after);
   CREATE INDEX jobs_group ON jobs (group_id, state);
   CREATE INDEX jobs_team_active ON jobs (team_id) WHERE state = 'active';`,
];
