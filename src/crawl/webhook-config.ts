import { z } from "zod";

const EVENTS = ["completed", "failed", "page", "started"] as const;

/** A job's `webhook` (spec §2.12): a URL, or the object form; the signature header is Skiff's. */
export const webhookSchema = z
  .union([
    z.url().transform((url) => ({ url })),
    z.strictObject({
      url: z.url(),
      headers: z
        .record(z.string(), z.string())
        .refine((headers) => !Object.keys(headers).some(isSignatureHeader), {
          error: "The following headers are not allowed: x-firecrawl-signature",
        })
        .optional(),
      metadata: z.record(z.string(), z.string()).optional(),
      events: z.array(z.enum(EVENTS)).optional(),
    }),
  ])
  .transform((hook) => ({
    url: hook.url,
    headers: "headers" in hook ? (hook.headers ?? {}) : {},
    metadata: "metadata" in hook ? (hook.metadata ?? {}) : {},
    events: "events" in hook ? (hook.events ?? [...EVENTS]) : [...EVENTS],
  }));

export type WebhookConfig = z.output<typeof webhookSchema>;

function isSignatureHeader(name: string): boolean {
  return name.toLowerCase() === "x-firecrawl-signature";
}
