import { AppError, isAppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { PageSnapshot } from "../store/change-history.ts";
import type { Store } from "../store/store.ts";
import { gitDiff, markdownChanged, type ChangeDiff } from "./change-diff.ts";
import type { LlmFormats } from "./llm-formats.ts";
import { compileSchema } from "./request/schema-validator.ts";
import {
  changeTrackingOf,
  type ChangeTrackingFormat,
  type ScrapeRequest,
} from "./scrape-request.ts";

/** Spec §7.3's warnings, word for word. */
export const CHANGE_WARNINGS = {
  zeroDataRetention: "Change tracking is not supported with zero data retention.",
  lookupFailed: "Comparing failed, please try again later.",
  jsonFailed: "Structured diff generation failed.",
} as const;

/** A document's `changeTracking`, in Firecrawl's key order. */
export interface ChangeTracking {
  previousScrapeAt: string | null;
  changeStatus: "new" | "same" | "changed" | "removed";
  visibility: "visible";
  diff?: ChangeDiff;
  json?: unknown;
}

/** The page as change tracking compares it. */
export interface TrackedPage {
  teamId: string;
  /** Where the page was loaded from, for the model. */
  url: string;
  markdown: string;
  statusCode: number;
  scrapeId: string;
}

export interface TrackingResult {
  changeTracking?: ChangeTracking;
  warning?: string;
  /** What to keep for the next comparison, once the scrape has succeeded. */
  snapshot?: PageSnapshot;
  /**
   * Whether the page costs 5 (spec §8): `json` mode was asked for and the comparison ran, even
   * when nothing changed and no model was called (Firecrawl's flat price for the mode). A
   * structured diff that failed is not billed.
   */
  billsJson: boolean;
}

export interface ChangeTrackerDeps {
  store: Store;
  llm?: LlmFormats | undefined;
  logger: Logger;
}

/**
 * The `changeTracking` format: the page against the team's previous scrape of the same URL and
 * tag. A zero-data-retention scrape reads and keeps nothing; a store that fails gives a warning,
 * not a failed scrape.
 */
export class ChangeTracker {
  readonly #deps: ChangeTrackerDeps;

  constructor(deps: ChangeTrackerDeps) {
    this.#deps = deps;
  }

  async track(
    request: ScrapeRequest,
    page: TrackedPage,
    signal: AbortSignal,
  ): Promise<TrackingResult> {
    const format = changeTrackingOf(request);
    if (!format) return { billsJson: false };
    if (request.zeroDataRetention || request.lockdown) {
      return { warning: CHANGE_WARNINGS.zeroDataRetention, billsJson: false };
    }
    const snapshot = {
      teamId: page.teamId,
      url: request.url,
      tag: format.tag ?? "",
      markdown: page.markdown,
      scrapedAt: Date.now(),
    };
    const previous = await this.#previous(snapshot, page.scrapeId);
    if (previous === "failed") {
      return { warning: CHANGE_WARNINGS.lookupFailed, snapshot, billsJson: false };
    }
    return { ...(await this.#compare(format, page, previous, signal)), snapshot };
  }

  /** Keeps the page for the next comparison; a failure is logged, the scrape stands. */
  async remember(snapshot: PageSnapshot, scrapeId: string): Promise<void> {
    try {
      await this.#deps.store.putSnapshot(snapshot);
    } catch (err) {
      this.#deps.logger.warn({ scrapeId, err }, "change tracking: could not keep the page");
    }
  }

  async #previous(key: PageSnapshot, scrapeId: string) {
    try {
      return await this.#deps.store.lastSnapshot(key.teamId, key.url, key.tag);
    } catch (err) {
      this.#deps.logger.warn({ scrapeId, err }, "change tracking: previous scrape unreadable");
      return "failed" as const;
    }
  }

  async #compare(
    format: ChangeTrackingFormat,
    page: TrackedPage,
    previous: PageSnapshot | undefined,
    signal: AbortSignal,
  ): Promise<Omit<TrackingResult, "snapshot">> {
    const wantsJson = format.modes.includes("json");
    const removed = page.statusCode === 404;
    if (!previous) {
      return { changeTracking: tracking(null, removed ? "removed" : "new"), billsJson: wantsJson };
    }
    const changed = markdownChanged(previous.markdown, page.markdown);
    const status = removed ? "removed" : changed ? "changed" : "same";
    const result = tracking(new Date(previous.scrapedAt).toISOString(), status);
    if (status !== "changed") return { changeTracking: result, billsJson: wantsJson };
    return this.#changed(format, result, previous.markdown, page, signal);
  }

  /** The diffs of a changed page that its modes ask for: `git-diff` is free, `json` asks the model. */
  async #changed(
    format: ChangeTrackingFormat,
    result: ChangeTracking,
    previous: string,
    page: TrackedPage,
    signal: AbortSignal,
  ): Promise<Omit<TrackingResult, "snapshot">> {
    const diff = format.modes.includes("git-diff") ? gitDiff(previous, page.markdown) : undefined;
    if (diff) result.diff = diff;
    if (!format.modes.includes("json")) return { changeTracking: result, billsJson: false };
    const json = await this.#jsonDiff(format, previous, page, signal);
    if (!json.failed) result.json = json.value;
    return {
      changeTracking: result,
      ...(json.failed && { warning: CHANGE_WARNINGS.jsonFailed }),
      billsJson: !json.failed,
    };
  }

  /** `json` mode: per-key `{previous, current}` with a schema, else the model's own account. */
  async #jsonDiff(
    format: ChangeTrackingFormat,
    previous: string,
    page: TrackedPage,
    signal: AbortSignal,
  ): Promise<{ failed: true } | { failed: false; value: unknown }> {
    const llm = this.#deps.llm;
    if (!llm) throw new AppError("LLM_NOT_CONFIGURED");
    try {
      const value = await jsonDiffOf(llm, format, previous, page, signal);
      return { failed: false, value };
    } catch (e) {
      if (signal.aborted || !isAppError(e)) throw e;
      this.#deps.logger.warn({ scrapeId: page.scrapeId, err: e }, "change tracking: json failed");
      return { failed: true };
    }
  }
}

function tracking(previousScrapeAt: string | null, changeStatus: ChangeTracking["changeStatus"]) {
  const result: ChangeTracking = { previousScrapeAt, changeStatus, visibility: "visible" };
  return result;
}

const COMPARE_PROMPT =
  "The page is given twice, its previous content then its current content. " +
  "Describe what changed between them as structured data.";

async function jsonDiffOf(
  llm: LlmFormats,
  format: ChangeTrackingFormat,
  previous: string,
  page: TrackedPage,
  signal: AbortSignal,
): Promise<unknown> {
  const schema: unknown = format.schema ?? undefined;
  const where = { url: page.url, scrapeId: page.scrapeId };
  if (schema === undefined) {
    const markdown = `Previous Content:\n${previous}\n\nCurrent Content:\n${page.markdown}`;
    const prompt = format.prompt ?? COMPARE_PROMPT;
    return llm.json({ ...where, markdown, prompt }, signal);
  }
  const steer = format.prompt === undefined ? {} : { prompt: format.prompt };
  const extract = (markdown: string) =>
    checked(schema, llm.json({ ...where, markdown, schema, ...steer }, signal));
  const [before, after] = await Promise.all([extract(previous), extract(page.markdown)]);
  return changedKeys(before, after);
}

async function checked(schema: unknown, answer: Promise<unknown>): Promise<unknown> {
  const value = await answer;
  const problem = compileSchema(schema)(value);
  if (problem === undefined) return value;
  throw new AppError(
    "LLM_EXTRACTION_FAILED",
    `The model's answer does not match the schema: ${problem}.`,
  );
}

/** Upstream's comparison: every top-level key whose JSON differs, with both values. */
export function changedKeys(previous: unknown, current: unknown) {
  const before = (previous ?? {}) as Record<string, unknown>;
  const after = (current ?? {}) as Record<string, unknown>;
  const result: Record<string, { previous: unknown; current: unknown }> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      result[key] = { previous: before[key], current: after[key] };
    }
  }
  return result;
}
