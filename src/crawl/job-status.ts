import { AppError } from "../errors.ts";
import type { JobGroupRow } from "../store/job-queue.ts";
import type { Store } from "../store/store.ts";

export interface StatusQuery {
  skip: number;
  limit: number;
  /** `limit` as the caller wrote it, echoed in `next`; absent when not given. */
  limitGiven: string | undefined;
  /** Where `next` points: `<proto>://<host>`. */
  baseUrl: string;
}

/** A page of documents stops before the one that would take it past this (spec §2.6). */
const PAGE_BYTES_CAP = 10 * 1024 * 1024;

/**
 * `GET /v2/crawl/{id}` and `GET /v2/batch/scrape/{id}`, as a JSON string (the stored documents go
 * out byte for byte). `next` is there only when stored documents remain past this page, or while
 * the job runs and this page came back full: an SDK that follows `next` never spins on a job that
 * has ended, cancelled or not (the spec's recommendation at the end of §2.6).
 */
export async function jobStatus(
  store: Store,
  group: JobGroupRow,
  query: StatusQuery,
): Promise<string> {
  const counts = await store.jobGroupCounts(group.id);
  const expiresAt = expiresAtOf(group);
  const timing = timingOf(group);
  const head = {
    status: group.status,
    completed: counts.completed,
    total: counts.total,
    creditsUsed: counts.creditsUsed,
    expiresAt,
  };
  if (group.status === "failed" && counts.total === 0) {
    return JSON.stringify({ success: false, error: group.error, ...head, data: [], ...timing });
  }
  const fetched = await store.listJobGroupPages(group.id, query.skip, query.limit + 1);
  const data = withinCap(fetched.slice(0, query.limit));
  const storedBeyond = fetched.length > data.length;
  const pageFull = data.length === query.limit;
  const next =
    storedBeyond || (group.status === "scraping" && pageFull)
      ? nextUrl(group, query, data.length)
      : undefined;
  const start = JSON.stringify({ success: true, ...head, ...(next && { next }) });
  const end = JSON.stringify(timing);
  return `${start.slice(0, -1)},"data":[${data.join(",")}]${end === "{}" ? "" : `,${end.slice(1, -1)}`}}`;
}

/**
 * When the job's results go, in ms: its retention after it ended, or after `now` while it runs
 * (upstream re-arms its TTL on each read; Skiff's clock starts when the job ends).
 */
export function expiresAtMs(group: JobGroupRow, now = Date.now()): number {
  return (group.finishedAt ?? now) + group.retentionMs;
}

/** `expiresAtMs` as the API reports it: ISO, in whole seconds, as upstream. */
export function expiresAtOf(group: JobGroupRow): string {
  return new Date(Math.floor(expiresAtMs(group) / 1000) * 1000).toISOString();
}

function withinCap(documents: string[]): string[] {
  const kept: string[] = [];
  let bytes = 0;
  for (const doc of documents) {
    if (kept.length > 0 && bytes + doc.length > PAGE_BYTES_CAP) break;
    kept.push(doc);
    bytes += doc.length;
  }
  return kept;
}

function nextUrl(group: JobGroupRow, query: StatusQuery, iterated: number): string {
  const path = group.kind === "crawl" ? "crawl" : "batch/scrape";
  const limit = query.limitGiven === undefined ? "" : `&limit=${query.limitGiven}`;
  return `${query.baseUrl}/v2/${path}/${group.id}?skip=${query.skip + iterated}${limit}`;
}

function timingOf(group: JobGroupRow) {
  const createdAt = new Date(group.createdAt).toISOString();
  const ended = group.status !== "scraping" && group.finishedAt !== null;
  const until = ended ? (group.finishedAt ?? Date.now()) : Date.now();
  return {
    createdAt,
    ...(ended && { completedAt: new Date(until).toISOString() }),
    duration: (until - group.createdAt) / 1000,
  };
}

/** `skip` and `limit` of a status request, checked as upstream's newer code does (spec §2.6). */
export function parsePagination(query: Record<string, unknown>): { skip: number; limit: number } {
  return {
    skip: integerParam("skip", query.skip, 0, Number.MAX_SAFE_INTEGER, 0),
    limit: integerParam("limit", query.limit, 1, 1000, 100),
  };
}

function integerParam(name: string, value: unknown, min: number, max: number, fallback: number) {
  if (value === undefined) return fallback;
  if (Array.isArray(value)) throw pagination(`${name} must be a single value, not an array`);
  if (typeof value !== "string") throw pagination(`${name} must be a string`);
  const kind = min === 0 ? "non-negative" : "positive";
  if (!/^\d+$/.test(value))
    throw pagination(`${name} must be a ${kind} integer without trailing characters`);
  const n = Number(value);
  if (name === "skip" && !Number.isSafeInteger(n)) {
    throw pagination("skip must be a non-negative safe integer");
  }
  if (n < min || n > max) {
    throw pagination(
      name === "limit" ? "limit must be an integer between 1 and 1000" : `${name} is out of range`,
    );
  }
  return n;
}

function pagination(message: string): AppError {
  return new AppError("INVALID_PAGINATION", `Invalid pagination: ${message}`);
}
