// The rows as both stores read them back (the same column names in SQLite and Postgres) and their
// mappers to the Store's types.
import type { JobGroupKind, JobGroupRow } from "./job-queue.ts";
import type { NodeRow } from "./nodes.ts";
import type {
  ApiKeyRow,
  EgressBytes,
  FileRow,
  LedgerEntry,
  ProfileRow,
  ScrapeRow,
  SessionEndReason,
  SessionRow,
  SessionStatus,
  TeamRow,
} from "./store.ts";

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
  node_id: string | null;
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
  content_type: string;
  bytes: Buffer;
  expires_at: number;
}

export function toScrapeRow(r: ScrapeRecord): ScrapeRow {
  return {
    id: r.id,
    teamId: r.team_id,
    url: r.url,
    options: r.options === null ? null : (JSON.parse(r.options) as unknown),
    documentJson: r.document,
    createdAt: r.created_at,
    egress: egressOf(r),
    ...(r.credits_used !== null && { creditsUsed: r.credits_used }),
  };
}

export function toProfileRow(r: ProfileRecord): ProfileRow {
  return {
    teamId: r.team_id,
    name: r.name,
    sealed: r.sealed,
    size: r.size,
    updatedAt: r.updated_at,
  };
}

export function toFileRow(r: FileRecord): FileRow {
  return {
    token: r.token,
    teamId: r.team_id,
    contentType: r.content_type,
    bytes: r.bytes,
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
    nodeId: r.node_id,
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

export interface TeamRecord {
  id: string;
  name: string;
  created_at: number;
}

export interface ApiKeyRecord {
  id: string;
  team_id: string;
  hash: string;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
}

export interface LedgerRecord {
  team_id: string;
  delta: number;
  reason: LedgerEntry["reason"];
  ref: string;
  created_at: number;
}

/** A balance is the sum of the ledger: grants for `granted`, every line for `remaining`. */
export const BALANCE_COLUMNS = `COALESCE(SUM(CASE WHEN reason = 'grant' THEN delta END), 0) AS granted,
  COALESCE(SUM(delta), 0) AS remaining`;

export function toTeamRow(r: TeamRecord): TeamRow {
  return { id: r.id, name: r.name, createdAt: r.created_at };
}

export function toApiKeyRow(r: ApiKeyRecord): ApiKeyRow {
  return {
    id: r.id,
    teamId: r.team_id,
    hash: r.hash,
    prefix: r.prefix,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}

export interface NodeRecord {
  id: string;
  internal_url: string | null;
  started_at: number;
  heartbeat_at: number;
  status: NodeRow["status"];
}

export function toNodeRow(r: NodeRecord): NodeRow {
  return {
    id: r.id,
    internalUrl: r.internal_url,
    startedAt: r.started_at,
    heartbeatAt: r.heartbeat_at,
    status: r.status,
  };
}

/** A row to insert: its columns and, in the same order, its values, for either dialect's SQL. */
export interface RowInsert {
  columns: string[];
  values: unknown[];
}

/** `INSERT INTO table (columns) VALUES (…)`, each value's placeholder in the dialect's spelling. */
export function insertSql(
  table: string,
  row: RowInsert,
  placeholder: (i: number) => string,
): string {
  const marks = row.columns.map((_, i) => placeholder(i)).join(", ");
  return `INSERT INTO ${table} (${row.columns.join(", ")}) VALUES (${marks})`;
}

export function scrapeInsert(row: ScrapeRow): RowInsert {
  return rowInsert({
    id: row.id,
    team_id: row.teamId,
    url: row.url,
    options: row.options === null ? null : JSON.stringify(row.options),
    document: row.documentJson,
    created_at: row.createdAt,
    bytes_in: row.egress?.bytesIn ?? null,
    bytes_out: row.egress?.bytesOut ?? null,
    credits_used: row.creditsUsed ?? null,
  });
}

export function sessionInsert(row: SessionRow): RowInsert {
  return rowInsert({
    id: row.id,
    team_id: row.teamId,
    scrape_id: row.scrapeId,
    status: row.status,
    created_at: row.createdAt,
    last_activity_at: row.lastActivityAt,
    used_prompt: row.usedPrompt ? 1 : 0,
    owner_pid: row.ownerPid,
    host_pid: row.hostPid,
    ended_at: row.endedAt,
    end_reason: row.endReason,
    duration_ms: row.durationMs,
    credits_billed: row.creditsBilled,
    profile_writer: row.profileWriter,
    node_id: row.nodeId,
  });
}

export function groupInsert(group: JobGroupRow): RowInsert {
  return rowInsert({
    id: group.id,
    team_id: group.teamId,
    kind: group.kind,
    url: group.url,
    request: JSON.stringify(group.request),
    status: group.status,
    page_limit: group.limit,
    max_concurrency: group.maxConcurrency,
    delay_ms: group.delayMs,
    webhook: group.webhook ? 1 : 0,
    created_at: group.createdAt,
    finished_at: group.finishedAt,
    error: group.error,
    retention_ms: group.retentionMs,
  });
}

function rowInsert(record: Record<string, unknown>): RowInsert {
  return { columns: Object.keys(record), values: Object.values(record) };
}
