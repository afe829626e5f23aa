import type { ChangeHistory } from "./change-history.ts";
import type { JobQueue } from "./job-queue.ts";
import type { TeamLimits } from "./limits.ts";
import type { NodeRegistry } from "./nodes.ts";

/** Bytes a browser moved through the egress proxy for one scrape or session. */
export interface EgressBytes {
  bytesIn: number;
  bytesOut: number;
}

/** A stored scrape: the replay context (url, options) and the document, all null under zero data retention. */
export interface ScrapeRow {
  id: string;
  teamId: string;
  url: string | null;
  /** The parsed request, as JSON: the replay context a later interact needs. */
  options: unknown;
  /** The response's `data`, serialized exactly as it was sent. */
  documentJson: string | null;
  createdAt: number;
  /** Null when no browser ran (a cache hit, a refused target). */
  egress?: EgressBytes | null;
  /** What the scrape cost; debited from the team's ledger with the row, in one transaction. */
  creditsUsed?: number;
}

export interface CacheEntry {
  url: string;
  documentJson: string;
  cachedAt: number;
}

/** A file Skiff serves for a while under an unguessable token (screenshots, PDFs from actions). */
export interface FileRow {
  token: string;
  teamId: string;
  contentType: string;
  /** The whole file, kept in the store so that any node sharing it can serve the file. */
  bytes: Buffer;
  expiresAt: number;
}

export type SessionStatus = "active" | "destroyed";
export type SessionEndReason =
  "deleted" | "ttl" | "idle" | "crashed" | "shutdown" | "server-restart" | "node-lost";

/** A live browser session: for an interact on a scrape, or (later) a standalone one. */
export interface SessionRow {
  id: string;
  teamId: string;
  scrapeId: string | null;
  status: SessionStatus;
  createdAt: number;
  lastActivityAt: number;
  usedPrompt: boolean;
  /** The server process that runs the session's host, so a restart can find its orphans. */
  ownerPid: number;
  hostPid: number | null;
  endedAt: number | null;
  endReason: SessionEndReason | null;
  durationMs: number | null;
  creditsBilled: number | null;
  /** What its browser moved through the egress proxy, recorded when it ends. */
  egress: EgressBytes | null;
  /** The profile whose writer lease it holds, so a restart can free it. */
  profileWriter: string | null;
  /** The node that runs it (nodes.ts); null on rows from before nodes existed. */
  nodeId: string | null;
}

export interface SessionEnd {
  endedAt: number;
  reason: SessionEndReason;
  durationMs: number;
  creditsBilled: number;
  egress?: EgressBytes;
}

/** A profile's saved browser state, encrypted by the caller; the store never sees plain text. */
export interface ProfileRow {
  teamId: string;
  name: string;
  sealed: Buffer;
  /** Bytes of the state before encryption, for listings. */
  size: number;
  updatedAt: number;
}

/** A team: everything it makes (scrapes, sessions, profiles) carries its id. */
export interface TeamRow {
  id: string;
  name: string;
  createdAt: number;
}

/** An API key, kept only as the SHA-256 of the key; `prefix` is its first characters, for listings. */
export interface ApiKeyRow {
  id: string;
  teamId: string;
  hash: string;
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
}

export type LedgerReason = "grant" | "scrape" | "session";

/**
 * One line of a team's append-only credit ledger: a grant is positive, a charge negative. `ref`
 * is unique (`scrape:<id>`, `session:<id>`, `grant:<id>`), so nothing is ever charged twice.
 */
export interface LedgerEntry {
  teamId: string;
  delta: number;
  reason: LedgerReason;
  ref: string;
  createdAt: number;
}

/** A team's credits: all it was granted, and what is left after every charge. */
export interface TeamBalance {
  granted: number;
  remaining: number;
}

/** Everything Skiff keeps. SQLite now; Postgres later passes the same contract tests. */
export interface Store extends JobQueue, TeamLimits, NodeRegistry, ChangeHistory {
  /** Stores the scrape and, when `creditsUsed` > 0, its charge in the ledger, in one transaction. */
  insertScrape(row: ScrapeRow): Promise<void>;
  getScrape(id: string): Promise<ScrapeRow | undefined>;
  /** The newest entry for `key` cached at or after `notBefore` (ms since epoch). */
  getCached(key: string, notBefore: number): Promise<CacheEntry | undefined>;
  putCached(key: string, entry: CacheEntry): Promise<void>;
  insertFile(row: FileRow): Promise<void>;
  getFile(token: string): Promise<FileRow | undefined>;
  /** Deletes the files expired at `now`; returns how many. */
  deleteExpiredFiles(now: number): Promise<number>;
  /**
   * Inserts a session as its start begins; false (nothing written) when its scrape already has
   * one, perhaps just started on another node, whose row then says which node runs it.
   */
  insertSession(row: SessionRow): Promise<boolean>;
  /** Deletes an active session's row: a start that failed, so nothing ran and nothing is billed. */
  discardSession(id: string): Promise<void>;
  /** The session of a scrape, whatever its status: a stopped one still answers 410. */
  getSessionByScrape(scrapeId: string): Promise<SessionRow | undefined>;
  touchSession(id: string, at: number, opts?: { usedPrompt?: boolean }): Promise<void>;
  /**
   * Records the session's host. `at`, a time its host had started by, raises the row's last
   * activity, so that a reaper can tell the host from a process that took its pid later.
   */
  setSessionHostPid(id: string, hostPid: number, at: number): Promise<void>;
  /**
   * Marks an active session destroyed and records how it ended, with its charge in the team's
   * ledger in the same transaction. True only for the one caller that made the change, so a
   * session ended by DELETE and by expiry at once is billed once.
   */
  claimSessionEnded(id: string, end: SessionEnd): Promise<boolean>;
  listActiveSessions(): Promise<SessionRow[]>;
  getSession(id: string): Promise<SessionRow | undefined>;
  /** A team's sessions, newest first, of one status or all. */
  listSessions(teamId: string, status?: SessionStatus): Promise<SessionRow[]>;
  /** Writes a profile's state in one step: a crash leaves the previous state whole. */
  putProfile(row: ProfileRow): Promise<void>;
  getProfile(teamId: string, name: string): Promise<ProfileRow | undefined>;
  listProfiles(teamId: string): Promise<Omit<ProfileRow, "sealed">[]>;
  deleteProfile(teamId: string, name: string): Promise<boolean>;
  /**
   * Takes the one writer lease on a profile for `holder` until `expiresAt`, if it is free,
   * expired, or already `holder`'s. True when `holder` has it now.
   */
  acquireProfileWriter(
    teamId: string,
    name: string,
    holder: string,
    now: number,
    expiresAt: number,
  ): Promise<boolean>;
  releaseProfileWriter(teamId: string, name: string, holder: string): Promise<void>;
  createTeam(row: TeamRow): Promise<void>;
  getTeam(id: string): Promise<TeamRow | undefined>;
  /** Every team, oldest first, with its balance. */
  listTeams(): Promise<(TeamRow & TeamBalance)[]>;
  insertApiKey(row: ApiKeyRow): Promise<void>;
  /** The key with this hash, if it exists and is not revoked. */
  findApiKey(hash: string): Promise<ApiKeyRow | undefined>;
  listApiKeys(teamId: string): Promise<ApiKeyRow[]>;
  /** True when the key existed and was not revoked before. */
  revokeApiKey(id: string, at: number): Promise<boolean>;
  /** Appends to the ledger; false (and no change) when `ref` is there already. */
  appendLedger(entry: LedgerEntry): Promise<boolean>;
  /** A team's ledger, oldest first. */
  ledger(teamId: string): Promise<LedgerEntry[]>;
  teamBalance(teamId: string): Promise<TeamBalance>;
  close(): Promise<void>;
}
