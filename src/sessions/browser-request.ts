import { z } from "zod";
import { integrationSchema } from "../scrape/request/integration.ts";

/** `POST /v2/browser` (spec §2.11): a standalone session, with its own lifetimes. */
export const browserCreateSchema = z.object({
  /** Seconds in all. */
  ttl: z.number().int().min(30).max(3600).default(600),
  /** Seconds without a call. */
  activityTtl: z.number().int().min(10).max(3600).default(300),
  streamWebView: z.boolean().default(true),
  recordSession: z.boolean().default(true),
  profile: z
    .object({ name: z.string().min(1).max(128), saveChanges: z.boolean().default(true) })
    .optional(),
  integration: integrationSchema,
  origin: z.string().optional(),
});

/** `POST /v2/browser/{id}/execute`: code only, node by default on the server's side. */
export const browserExecuteSchema = z.object({
  code: z.string().min(1).max(100_000),
  language: z.enum(["python", "node", "bash"]).default("node"),
  timeout: z.number().min(1).max(300).default(30),
  origin: z.string().optional(),
});

export const browserListSchema = z.object({
  status: z.enum(["active", "destroyed"]).optional(),
});

export type BrowserCreate = z.output<typeof browserCreateSchema>;
export type BrowserExecute = z.output<typeof browserExecuteSchema>;
