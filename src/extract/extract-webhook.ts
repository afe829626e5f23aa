import { randomUUID } from "node:crypto";
import type { WebhookConfig } from "../crawl/webhook-config.ts";
import type { JobEvent, JobGroupRow } from "../store/job-queue.ts";
import type { Store } from "../store/store.ts";
import type { ExtractDocument } from "./extract-worker.ts";

/**
 * The outbox records `started` and `completed` for every group; an extract's `completed` event of a
 * failed group is the webhook's `failed` (spec §2.12: `extract.started`/`completed`/`failed`).
 */
export function extractEventType(
  group: JobGroupRow,
  event: JobEvent,
): WebhookConfig["events"][number] {
  return event.type === "completed" && group.status === "failed" ? "failed" : event.type;
}

/** The body sent for one of an extract's events: its answer in `data` once it has completed. */
export async function extractPayload(
  store: Store,
  group: JobGroupRow,
  hook: WebhookConfig,
  event: JobEvent,
): Promise<string> {
  const type = extractEventType(group, event);
  const head = { type: `extract.${type}`, id: group.id, webhookId: randomUUID() };
  if (type === "failed") {
    const error = group.error ?? "Extract failed.";
    return JSON.stringify({ success: false, ...head, data: [], error, metadata: hook.metadata });
  }
  const data = type === "completed" ? await answerOf(store, group.id) : [];
  return JSON.stringify({ success: true, ...head, data, metadata: hook.metadata });
}

async function answerOf(store: Store, groupId: string): Promise<unknown[]> {
  const [json] = await store.listJobGroupPages(groupId, 0, 1);
  if (json === undefined) return [];
  return [(JSON.parse(json) as ExtractDocument).data];
}
