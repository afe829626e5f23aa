import { Ajv, type Options } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";

/** Says what is wrong with a value, or undefined when it fits the schema. */
export type SchemaCheck = (value: unknown) => string | undefined;

/** Unknown keywords and formats are let through: a schema written for a model is not always strict. */
const OPTIONS: Options = { strict: false, allErrors: true, logger: false };
const MAX_REPORTED_ERRORS = 3;

type Draft = "draft7" | "draft2019" | "draft2020";
const ENGINES = { draft7: Ajv, draft2019: Ajv2019, draft2020: Ajv2020 } as const;

/** One per draft, and they only ever check schemas against the meta-schema, so they never grow. */
const metaCheckers = {
  draft7: new Ajv(OPTIONS),
  draft2019: new Ajv2019(OPTIONS),
  draft2020: new Ajv2020(OPTIONS),
};

/**
 * Compiles a caller's JSON schema (draft-07, 2019-09 or 2020-12, by its `$schema`; draft-07
 * when absent or unknown). Throws an Error that says what is wrong with the schema.
 */
export function compileSchema(schema: unknown): SchemaCheck {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new Error("the schema must be a JSON object");
  }
  const { $schema, ...rest } = schema as Record<string, unknown>;
  const draft = draftOf($schema);
  const meta = metaCheckers[draft];
  if (!meta.validateSchema(rest)) {
    throw new Error(meta.errorsText(meta.errors, { dataVar: "schema" }));
  }
  // A fresh instance per schema: a shared one would keep every caller's `$id`s forever.
  const validate = new ENGINES[draft]({ ...OPTIONS, validateSchema: false }).compile(rest);
  return (value) => {
    if (validate(value)) return undefined;
    const errors = (validate.errors ?? []).slice(0, MAX_REPORTED_ERRORS);
    return meta.errorsText(errors, { dataVar: "json" });
  };
}

function draftOf(uri: unknown): Draft {
  if (typeof uri !== "string") return "draft7";
  if (uri.includes("2020-12")) return "draft2020";
  if (uri.includes("2019-09")) return "draft2019";
  return "draft7";
}
