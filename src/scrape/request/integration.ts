import { z } from "zod";

const INTEGRATIONS: readonly string[] = [
  "dify",
  "zapier",
  "pipedream",
  "raycast",
  "langchain",
  "crewai",
  "llamaindex",
  "n8n",
  "camelai",
  "make",
  "flowise",
  "metagpt",
  "relevanceai",
  "viasocket",
  "cli",
  "hermes",
  "gstack",
  "prometheus",
];

/** Firecrawl's wording for a value outside its integration list. */
const INVALID_INTEGRATION = `Invalid enum value. Expected ${INTEGRATIONS.map((name) => `'${name}'`).join(" | ")}`;

/** A known integration, or any private tag starting with `_`; absent becomes `null`. */
export const integrationSchema = z
  .string()
  .refine((name) => name.startsWith("_") || INTEGRATIONS.includes(name), INVALID_INTEGRATION)
  .optional()
  .transform((name) => name || null);
