import { AppError } from "../errors.ts";
import type { LlmFormats, LlmPage } from "./llm-formats.ts";
import { compileSchema } from "./request/schema-validator.ts";
import type { Format, ScrapeRequest } from "./scrape-request.ts";

type JsonFormat = Extract<Format, { type: "json" }>;

/** What the model wrote for a document: only the formats that were asked for. */
export interface ModelAnswers {
  json?: unknown;
  summary?: string;
}

/**
 * Asks the model for the request's `json` and `summary`, side by side. The first failure stops
 * the other call and fails the scrape: a document never carries a half-made answer.
 */
export async function modelAnswers(
  llm: LlmFormats,
  request: ScrapeRequest,
  page: LlmPage,
  signal: AbortSignal,
): Promise<ModelAnswers> {
  const json = request.formats.find((f): f is JsonFormat => f.type === "json");
  const wantsSummary = request.formats.some((f) => f.type === "summary");
  const sibling = new AbortController();
  const both = AbortSignal.any([signal, sibling.signal]);
  const stopSiblingOnFailure = <T>(work: Promise<T>) =>
    work.catch((e: unknown) => {
      sibling.abort();
      throw e;
    });
  const [jsonValue, summary] = await Promise.all([
    json ? stopSiblingOnFailure(checkedJson(llm, page, json, both)) : undefined,
    wantsSummary ? stopSiblingOnFailure(llm.summary(page, both)) : undefined,
  ]);
  return { ...(json && { json: jsonValue }), ...(summary !== undefined && { summary }) };
}

/** The model's JSON, refused unless it fits the caller's schema. */
async function checkedJson(
  llm: LlmFormats,
  page: LlmPage,
  format: JsonFormat,
  signal: AbortSignal,
): Promise<unknown> {
  // A `null` schema is sent by some clients for "none".
  const schema: unknown = format.schema ?? undefined;
  const value = await llm.json(
    {
      ...page,
      ...(schema !== undefined && { schema }),
      ...(format.prompt !== undefined && { prompt: format.prompt }),
    },
    signal,
  );
  const problem = schema === undefined ? undefined : compileSchema(schema)(value);
  if (problem !== undefined) {
    throw new AppError(
      "LLM_EXTRACTION_FAILED",
      `The model's answer does not match the requested schema: ${problem}.`,
    );
  }
  return value;
}
