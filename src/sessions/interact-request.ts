import { z } from "zod";
import { integrationSchema } from "../scrape/request/integration.ts";

/**
 * The body of `POST /v2/scrape/{id}/interact` (spec §2.2): not strict (unknown keys are
 * dropped), `code` or `prompt` required, and code wins when both are sent.
 */
export const interactRequestSchema = z
  .object({
    code: z.string().min(1).max(100_000).optional(),
    prompt: z.string().min(1).max(10_000).optional(),
    language: z.enum(["python", "node", "bash"]).default("node"),
    /** Seconds, and not necessarily whole ones. */
    timeout: z.number().min(1).max(300).default(30),
    origin: z.string().optional(),
    integration: integrationSchema,
  })
  .refine((body) => body.code !== undefined || body.prompt !== undefined, {
    error: "Either 'code' or 'prompt' must be provided.",
  });

export type InteractRequest = z.output<typeof interactRequestSchema>;
