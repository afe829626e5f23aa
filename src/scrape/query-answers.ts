import { isAppError } from "../errors.ts";
import { assembleHighlights, splitUnits, unitLines } from "./highlights.ts";
import type { LlmFormats, LlmPage } from "./llm-formats.ts";
import type { Format, ScrapeRequest } from "./scrape-request.ts";

type AnswerFormat = Extract<Format, { type: "question" | "query" }>;

/** Spec §7.1–7.2's warnings, word for word. */
export const QUERY_WARNINGS = {
  emptyPage: "Query was skipped because the markdown content is empty.",
  answerFailed: "Query generation failed after all models.",
  highlightsFailed: "Highlights generation failed after all models.",
} as const;

/** Credits an answer adds to its page (spec §8): `question` or `query` once, `highlights` once. */
export const QUERY_CREDITS = 4;

/** What the model made of a page's question and highlights formats. */
export interface QueryAnswers {
  answer?: string;
  highlights?: string;
  /** In the order upstream adds them, each going before those already there. */
  warnings: string[];
  /**
   * Credits added to the page: 4 for each answer produced. A model call that failed gives a
   * warning and is not billed; an empty pick of highlights ("") is an answer and is.
   */
  credits: number;
}

/** Nothing asked, or no model to ask. */
export const NO_ANSWERS: QueryAnswers = { warnings: [], credits: 0 };

/**
 * The `question` (or deprecated `query`) and `highlights` formats, side by side. Unlike `json`
 * and `summary`, a failure never fails the scrape: the format is left out and a warning says so.
 * Only the first of `question` and `query` is answered, as upstream.
 */
export async function queryAnswers(
  llm: LlmFormats,
  request: ScrapeRequest,
  page: LlmPage,
  signal: AbortSignal,
): Promise<QueryAnswers> {
  const asked = request.formats.find(
    (f): f is AnswerFormat => f.type === "question" || f.type === "query",
  );
  const query = request.formats.find((f) => f.type === "highlights")?.query;
  if (!asked && query === undefined) return NO_ANSWERS;
  if (page.markdown.trim() === "") return { warnings: [QUERY_WARNINGS.emptyPage], credits: 0 };
  const [answer, highlights] = await Promise.all([
    asked ? orUndefined(answerOf(llm, asked, page, signal), signal) : undefined,
    query === undefined ? undefined : orUndefined(highlightsOf(llm, query, page, signal), signal),
  ]);
  const warnings: string[] = [];
  if (asked && answer === undefined) warnings.push(QUERY_WARNINGS.answerFailed);
  if (query !== undefined && highlights === undefined) {
    warnings.push(QUERY_WARNINGS.highlightsFailed);
  }
  const produced = [answer, highlights].filter((a) => a !== undefined).length;
  return {
    ...(answer !== undefined && { answer }),
    ...(highlights !== undefined && { highlights }),
    warnings,
    credits: produced * QUERY_CREDITS,
  };
}

/** `query` in `directQuote` mode quotes lines, as highlights do; the rest answer in prose. */
function answerOf(llm: LlmFormats, format: AnswerFormat, page: LlmPage, signal: AbortSignal) {
  if (format.type === "query" && format.mode === "directQuote") {
    return highlightsOf(llm, format.prompt, page, signal);
  }
  const question = format.type === "question" ? format.question : format.prompt;
  return llm.answer({ ...page, question }, signal);
}

async function highlightsOf(llm: LlmFormats, query: string, page: LlmPage, signal: AbortSignal) {
  const units = splitUnits(page.markdown);
  const where = { url: page.url, ...(page.scrapeId !== undefined && { scrapeId: page.scrapeId }) };
  const picked = await llm.pickLines({ ...where, query, lines: unitLines(units) }, signal);
  return assembleHighlights(units, picked);
}

/** A model failure becomes undefined; the scrape's deadline or a gone client stays an error. */
async function orUndefined<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  try {
    return await work;
  } catch (e) {
    if (signal.aborted || !isAppError(e)) throw e;
    return undefined;
  }
}
