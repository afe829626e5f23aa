import { z } from "zod";
import { compileSchema } from "./schema-validator.ts";

type Json = unknown;
type JsonObject = Record<string, Json>;

export const OPENAI_SCHEMA_ERROR_MESSAGE =
  "Schema contains invalid structure for OpenAI: object type with no 'properties' defined but 'additionalProperties: true' (schema-less dictionary not supported by OpenAI). Please define specific properties for your object. Note: Recursive schemas using '$ref' are supported.";

function isObject(value: Json): value is JsonObject {
  return typeof value === "object" && value !== null;
}

/** `$ref` nodes are left exactly as sent: OpenAI resolves them itself. */
function isRef(value: Json): boolean {
  return isObject(value) && Object.hasOwn(value, "$ref");
}

function pruneRequired(node: JsonObject): void {
  const { required, properties } = node;
  if (!Array.isArray(required) || !isObject(properties)) {
    delete node.required;
    return;
  }
  const kept = required.filter((key) => typeof key === "string" && Object.hasOwn(properties, key));
  if (kept.length > 0) node.required = kept;
  else delete node.required;
}

function normalizeChildren(node: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(node)) {
    if (isObject(value) && !isRef(value)) node[key] = normalizeNode(value);
  }
  return node;
}

/** Upstream skips the object clean-up on a node that carries `$defs`; only its children are walked. */
function normalizeWithDefs(node: JsonObject): JsonObject {
  const { $defs, ...rest } = node;
  const defs = isObject($defs) ? $defs : {};
  const normalizedDefs = Object.fromEntries(
    Object.entries(defs).map(([key, value]) => [key, normalizeNode(value)]),
  );
  return { ...normalizeChildren(rest), $defs: normalizedDefs };
}

function normalizeNode(value: Json): Json {
  if (Array.isArray(value)) return value.map(normalizeNode);
  if (!isObject(value)) return value;
  const node = { ...value };
  if (Object.hasOwn(node, "$ref")) return node;
  if (Object.hasOwn(node, "$defs")) return normalizeWithDefs(node);
  if (node.type === "object" && Object.hasOwn(node, "properties")) {
    delete node.additionalProperties;
    if (Object.hasOwn(node, "required")) pruneRequired(node);
  }
  return normalizeChildren(node);
}

/** A schema-less dictionary (`type: object`, no properties, `additionalProperties: true`). */
function hasFreeFormObject(value: Json): boolean {
  if (!isObject(value) || isRef(value)) return false;
  const freeForm =
    value.type === "object" &&
    !Object.hasOwn(value, "properties") &&
    !Object.hasOwn(value, "patternProperties") &&
    value.additionalProperties === true;
  return freeForm || Object.values(value).some(hasFreeFormObject);
}

/** Why a schema cannot be used to check an answer, or undefined when it can. */
function compileProblem(schema: Json): string | undefined {
  if (schema === undefined || schema === null) return undefined;
  try {
    compileSchema(schema);
    return undefined;
  } catch (e) {
    return `The JSON schema is invalid: ${(e as Error).message}`;
  }
}

/**
 * A JSON schema as sent with an extraction format, rewritten the way Firecrawl prepares it for
 * OpenAI's structured outputs: no `additionalProperties` beside `properties`, `required` only
 * naming declared properties. Free-form dictionaries are refused, and so is a schema that does
 * not compile: the model's answer is checked against it, so it fails here, before any scrape.
 */
export const llmJsonSchema = z
  .any()
  .optional()
  .transform(normalizeNode)
  .refine((schema) => !hasFreeFormObject(schema), OPENAI_SCHEMA_ERROR_MESSAGE)
  .superRefine((schema, ctx) => {
    const problem = compileProblem(schema);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
