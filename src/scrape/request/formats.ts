import { z } from "zod";
import { llmJsonSchema } from "./json-schema.ts";

const MAX_PROMPT_LENGTH = 10_000;

const bare = <T extends string>(type: T) => z.strictObject({ type: z.literal(type) });

/** Bounds shared by the screenshot format and the screenshot action: up to 8K. */
export const viewportSchema = z.object({
  width: z.int().positive().max(7680),
  height: z.int().positive().max(4320),
});

const jsonFormat = z.strictObject({
  type: z.literal("json"),
  schema: llmJsonSchema,
  prompt: z.string().max(MAX_PROMPT_LENGTH).optional(),
});

/** Same shape as `json`; extraction runs a cached extractor instead of a per-request LLM call. */
const deterministicJsonFormat = z.strictObject({
  type: z.literal("deterministicJson"),
  schema: llmJsonSchema,
  prompt: z.string().max(MAX_PROMPT_LENGTH).optional(),
});

const changeTrackingFormat = z.strictObject({
  type: z.literal("changeTracking"),
  prompt: z.string().optional(),
  schema: llmJsonSchema,
  modes: z.array(z.enum(["json", "git-diff"])).prefault([]),
  tag: z.string().nullable().prefault(null),
});

/** Not strict, unlike the other formats: unknown keys are stripped, as upstream. */
const screenshotFormat = z.object({
  type: z.literal("screenshot"),
  fullPage: z.boolean().prefault(false),
  quality: z.number().min(1).max(100).optional(),
  viewport: viewportSchema.optional(),
});

const attributesFormat = z.strictObject({
  type: z.literal("attributes"),
  selectors: z.array(z.strictObject({ selector: z.string(), attribute: z.string() })),
});

const questionFormat = z.strictObject({
  type: z.literal("question"),
  question: z.string().min(1).max(MAX_PROMPT_LENGTH),
});

const highlightsFormat = z.strictObject({
  type: z.literal("highlights"),
  query: z.string().min(1).max(MAX_PROMPT_LENGTH),
});

/** Deprecated upstream in favour of `question` and `highlights`; still accepted. */
const queryFormat = z.strictObject({
  type: z.literal("query"),
  prompt: z.string().max(MAX_PROMPT_LENGTH),
  mode: z.enum(["freeform", "directQuote"]).default("freeform"),
});

/** A plain union, not a discriminated one, so a bad entry reports `invalid_union` as upstream. */
const formatSchema = z.union([
  bare("markdown"),
  bare("html"),
  bare("rawHtml"),
  bare("rawBase64"),
  bare("links"),
  bare("images"),
  bare("summary"),
  jsonFormat,
  deterministicJsonFormat,
  changeTrackingFormat,
  screenshotFormat,
  attributesFormat,
  bare("branding"),
  bare("product"),
  bare("menu"),
  questionFormat,
  highlightsFormat,
  queryFormat,
  bare("audio"),
  bare("video"),
]);

type FormatEntry = z.output<typeof formatSchema>;

function stringsToObjects(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return value.map((entry: unknown) => (typeof entry === "string" ? { type: entry } : entry));
}

const count = (formats: FormatEntry[], type: FormatEntry["type"]) =>
  formats.filter((format) => format.type === type).length;

/** `"markdown"` and `{type:"markdown"}` are the same entry; absent means markdown only. */
export const formatsSchema = z
  .preprocess(stringsToObjects, z.array(formatSchema).prefault([{ type: "markdown" }]))
  .refine((f) => count(f, "screenshot") <= 1, "You may only specify one screenshot format")
  .refine(
    (f) => count(f, "changeTracking") === 0 || count(f, "markdown") > 0,
    "The changeTracking format requires the markdown format to be specified as well",
  )
  .refine(
    (f) => count(f, "json") === 0 || count(f, "deterministicJson") === 0,
    "Cannot specify both json and deterministicJson formats",
  )
  .refine(
    (f) => count(f, "rawBase64") === 0 || f.length === 1,
    "The rawBase64 format cannot be combined with other formats",
  );
