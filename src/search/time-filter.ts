import type { TimeRange } from "./search-backend.ts";

/** What a Google-style `tbs` asks, in terms a SearXNG-like engine can honour. */
export interface TimeFilter {
  timeRange?: TimeRange;
  /** Results published before this (ms since epoch) are dropped. */
  after?: number;
  /** Results published after this are dropped. */
  before?: number;
  sortByDate?: boolean;
}

export const TBS_HELP =
  "Skiff understands qdr:h, qdr:d, qdr:w, qdr:m, qdr:y, cdr:1,cd_min:MM/DD/YYYY,cd_max:MM/DD/YYYY and sbd:1 (comma-separated)";

const DAY_MS = 24 * 3600_000;
const RANGES: ReadonlyArray<readonly [TimeRange, number]> = [
  ["day", DAY_MS],
  ["week", 7 * DAY_MS],
  ["month", 31 * DAY_MS],
  ["year", 366 * DAY_MS],
];
const QDR: Record<string, TimeRange> = { h: "day", d: "day", w: "week", m: "month", y: "year" };

/** `MM/DD/YYYY` as UTC midnight, or undefined when it is not a date. */
function usDate(text: string): number | undefined {
  const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  if (!match) return undefined;
  const [, month, day, year] = match.map(Number) as [number, number, number, number];
  const ms = Date.UTC(year, month - 1, day);
  return new Date(ms).getUTCDate() === day ? ms : undefined;
}

/** The smallest engine range that still reaches back to `after`; none past a year. */
function rangeCovering(after: number, now: number): TimeRange | undefined {
  return RANGES.find(([, span]) => now - after <= span)?.[0];
}

function applyPart(filter: TimeFilter, key: string, value: string, now: number): boolean {
  const range = key === "qdr" ? QDR[value] : undefined;
  if (range) {
    filter.timeRange = range;
    if (value === "h") filter.after = now - 3600_000;
    return true;
  }
  if (key === "cdr") return value === "1";
  if (key === "sbd") {
    filter.sortByDate = value === "1";
    return value === "1" || value === "0";
  }
  const date = usDate(value);
  if (date === undefined) return false;
  if (key === "cd_min") filter.after = date;
  else if (key === "cd_max") filter.before = date + DAY_MS - 1;
  return key === "cd_min" || key === "cd_max";
}

/** Parses `tbs`; a string naming what is not understood when it cannot. */
export function parseTbs(tbs: string, now = Date.now()): TimeFilter | string {
  const filter: TimeFilter = {};
  for (const part of tbs.split(",").map((p) => p.trim())) {
    const [key = "", value = ""] = part.split(/:(.*)/s);
    if (!applyPart(filter, key, value, now)) return `Unsupported tbs part "${part}". ${TBS_HELP}`;
  }
  const custom = tbs.includes("cdr:");
  if (custom && filter.after === undefined && filter.before === undefined) {
    return `tbs "cdr:1" needs cd_min and/or cd_max. ${TBS_HELP}`;
  }
  if (custom && filter.after !== undefined) {
    const range = rangeCovering(filter.after, now);
    if (range) filter.timeRange = range;
  }
  return filter;
}

/** Whether a result's publication date (if it has one) falls inside the filter's window. */
export function publishedWithin(filter: TimeFilter, published: string | undefined): boolean {
  if (!published || (filter.after === undefined && filter.before === undefined)) return true;
  const ms = Date.parse(published);
  if (Number.isNaN(ms)) return true;
  return ms >= (filter.after ?? -Infinity) && ms <= (filter.before ?? Infinity);
}
