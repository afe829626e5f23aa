import { createHmac, randomUUID } from "node:crypto";
import { fetch, ProxyAgent } from "undici";
import { extractEventType, extractPayload } from "../extract/extract-webhook.ts";
import type { Logger } from "../log.ts";
import type { EventOutcome, JobEvent, JobGroupRow } from "../store/job-queue.ts";
import { Wakeup } from "../jobs/wakeup.ts";
import type { Store } from "../store/store.ts";
import type { StoredJob } from "./stored-job.ts";
import type { WebhookConfig } from "./webhook-config.ts";

export interface WebhookDelivererOptions {
  store: Store;
  logger: Logger;
  /** The egress proxy listener deliveries go through: its policy decides what may be reached. */
  proxyUrl: string;
  /** Signs each body, when set. */
  secret: string | undefined;
  pollMs?: number;
}

/** The signature header, as Firecrawl names it (spec §2.12). */
export const SIGNATURE_HEADER = "X-Firecrawl-Signature";
const DELIVERY_TIMEOUT_MS = 10_000;
const MAX_ATTEMPTS = 8;
const RETRY_BASE_MS = 1_000;
const CONCURRENT_DELIVERIES = 4;

/**
 * Sends the events of crawls, batches and extracts to their webhooks, from the store's outbox: each group's
 * events in order, a failed delivery retried with back-off (up to MAX_ATTEMPTS) before the next.
 */
export class WebhookDeliverer {
  readonly #options: WebhookDelivererOptions;
  readonly #agent: ProxyAgent;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  readonly #wakeup = new Wakeup();

  constructor(options: WebhookDelivererOptions) {
    this.#options = options;
    this.#agent = new ProxyAgent(options.proxyUrl);
  }

  start(): void {
    this.#loop = this.#run();
  }

  /** Events were recorded: look now. */
  notify(): void {
    this.#wakeup.notify();
  }

  async close(): Promise<void> {
    this.#stop.abort();
    this.notify();
    await this.#loop;
    await this.#agent.close();
  }

  async #run(): Promise<void> {
    const { store, logger } = this.#options;
    while (!this.#stop.signal.aborted) {
      const events = await store
        .claimJobEvents({ now: Date.now(), max: CONCURRENT_DELIVERIES, leaseMs: 60_000 })
        .catch((err: unknown) => {
          logger.error({ err }, "could not read webhook events");
          return [];
        });
      await Promise.all(events.map((event) => this.#deliver(event)));
      if (events.length === 0) await this.#wakeup.sleep(this.#options.pollMs ?? 250);
    }
  }

  async #deliver(event: JobEvent): Promise<void> {
    const { store, logger } = this.#options;
    const group = await store.getJobGroup(event.groupId);
    const hook = group && (group.request as StoredJob).webhook;
    const type = group?.kind === "extract" ? extractEventType(group, event) : event.type;
    const outcome: EventOutcome =
      !group || !hook || !hook.events.includes(type)
        ? { delivered: true }
        : await this.#post(hook, await this.#payload(group, hook, event), event);
    if ("gaveUp" in outcome)
      logger.warn({ groupId: event.groupId, seq: event.seq }, outcome.gaveUp);
    await store.finishJobEvent(event, outcome);
  }

  async #post(hook: WebhookConfig, body: string, event: JobEvent): Promise<EventOutcome> {
    const headers: Record<string, string> = { "content-type": "application/json", ...hook.headers };
    if (this.#options.secret) {
      const signature = createHmac("sha256", this.#options.secret).update(body).digest("hex");
      headers[SIGNATURE_HEADER] = `sha256=${signature}`;
    }
    let problem: string;
    try {
      const response = await fetch(hook.url, {
        method: "POST",
        body,
        headers,
        dispatcher: this.#agent,
        signal: AbortSignal.any([this.#stop.signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
      });
      await response.body?.cancel();
      if (response.ok) return { delivered: true };
      problem = `the receiver answered HTTP ${response.status}`;
    } catch (err) {
      problem = `the receiver could not be reached (${(err as Error).message})`;
    }
    if (event.attempt >= MAX_ATTEMPTS) {
      return { gaveUp: `webhook delivery given up after ${event.attempt} attempts: ${problem}` };
    }
    this.#options.logger.info({ groupId: event.groupId, attempt: event.attempt }, problem);
    return { retryAt: Date.now() + RETRY_BASE_MS * 2 ** (event.attempt - 1) };
  }

  /** Firecrawl's payload (spec §2.12): `crawl.page`, `batch_scrape.completed`, … */
  async #payload(group: JobGroupRow, hook: WebhookConfig, event: JobEvent): Promise<string> {
    if (group.kind === "extract") return extractPayload(this.#options.store, group, hook, event);
    const prefix = group.kind === "crawl" ? "crawl" : "batch_scrape";
    const head = { type: `${prefix}.${event.type}`, id: group.id, webhookId: randomUUID() };
    const outcome = event.jobId ? await this.#options.store.getJobOutcome(event.jobId) : undefined;
    if (event.type !== "page" || !outcome) {
      return JSON.stringify({ success: true, ...head, data: [], metadata: hook.metadata });
    }
    if (outcome.state === "done" && outcome.documentJson !== null) {
      const start = JSON.stringify({ success: true, ...head });
      const end = JSON.stringify({ metadata: hook.metadata });
      return `${start.slice(0, -1)},"data":[${outcome.documentJson}],${end.slice(1)}`;
    }
    const data = [{ metadata: { sourceURL: outcome.url } }];
    const error = outcome.error ?? "The page could not be scraped.";
    return JSON.stringify({ success: false, ...head, data, error, metadata: hook.metadata });
  }
}
