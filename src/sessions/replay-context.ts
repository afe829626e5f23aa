import { scrapeRequestSchema, type Action } from "../scrape/scrape-request.ts";

/** What a session replays to reproduce a scrape: only url, waitFor and actions (spec §2.4). */
export interface ReplayContext {
  url: string;
  waitForMs: number;
  actions: Action[];
}

/** The profile a scrape named (spec §2.10): its session loads it, and a writer saves it. */
export interface ProfileUse {
  name: string;
  saveChanges: boolean;
}

export type ReplayVerdict =
  | { ok: true; context: ReplayContext; profile: ProfileUse | undefined }
  | { ok: false; message: string };

const PREFIX = "Replay context is unavailable for this scrape job";

/** Output-only actions replay as nothing: their outputs belonged to the scrape. */
const OUTPUT_ONLY = new Set(["screenshot", "pdf", "scrape"]);

/**
 * Builds the replay context from a stored scrape row, or says why there is none, with the
 * 409 messages of spec §2.3 step 5.
 */
export function buildReplayContext(row: { url: string | null; options: unknown }): ReplayVerdict {
  if (!row.url) return { ok: false, message: `${PREFIX} because the source URL was not retained.` };
  if (row.options === null || row.options === undefined) {
    return { ok: false, message: `${PREFIX} because scrape options were not retained.` };
  }
  if (!URL.canParse(row.url)) {
    return { ok: false, message: `${PREFIX} because the stored URL is invalid.` };
  }
  const parsed = scrapeRequestSchema.safeParse({ ...asObject(row.options), url: row.url });
  if (!parsed.success) return { ok: false, message: `${PREFIX}. Please rerun the scrape.` };
  return {
    ok: true,
    context: {
      url: row.url,
      waitForMs: Math.min(parsed.data.waitFor, 60_000),
      actions: (parsed.data.actions ?? []).filter((a) => !OUTPUT_ONLY.has(a.type)),
    },
    profile: parsed.data.profile
      ? { name: parsed.data.profile.name, saveChanges: parsed.data.profile.saveChanges }
      : undefined,
  };
}

/**
 * Stored options are a parsed request; parsing them again checks rows written by older versions.
 * The parse outputs `null` for unset fields (integration) that its input does not take back.
 */
function asObject(options: unknown): Record<string, unknown> {
  if (typeof options !== "object" || options === null) return {};
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== null));
}
