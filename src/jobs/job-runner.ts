import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ClaimedJob, JobGroupRow, JobKind, JobSuccess } from "../store/job-queue.ts";
import type { Store } from "../store/store.ts";
import { Wakeup } from "./wakeup.ts";
import type { NodeIdentity } from "../store/node-identity.ts";

/** What a job's handler returns; the runner stamps the time and completes the job. */
export type JobResult = Omit<JobSuccess, "finishedAt">;

/** Why a page of a cancelled crawl or batch did not complete, on its errors list. */
export const CANCELLED_MESSAGE =
  "This scrape was not completed because the parent crawl or batch scrape was cancelled.";

/** A failure the handler names itself: its code and message reach the errors endpoint as they are. */
export class JobFailed extends Error {
  readonly code: string;
  readonly retry: boolean;

  constructor(code: string, message: string, options: { retry?: boolean } = {}) {
    super(message);
    this.name = "JobFailed";
    this.code = code;
    this.retry = options.retry ?? false;
  }
}

/** The job's group as its handler starts; `gone` says what is missing when it was deleted. */
export async function runningGroupOf(
  store: Store,
  job: ClaimedJob,
  gone: string,
): Promise<JobGroupRow> {
  const group = await store.getJobGroup(job.groupId);
  if (!group) throw new JobFailed("JOB_NOT_FOUND", gone);
  if (group.status === "cancelled") throw new JobFailed("CANCELLED", CANCELLED_MESSAGE);
  return group;
}

export interface JobRunnerOptions {
  store: Store;
  logger: Logger;
  /** This node (nodes.ts), as the holder of its leases: its reap requeues them. */
  owner: NodeIdentity;
  /** Jobs this process runs at once. */
  concurrency: number;
  /** Jobs one team may have running at once, across its crawls and batches. */
  teamLimit: number;
  /** Longer than any job takes: past it, the job is someone else's to claim. */
  leaseMs: number;
  handle: (job: ClaimedJob, signal: AbortSignal) => Promise<JobResult>;
  /** The longest the runner sleeps before looking for due jobs (retries, paced crawls). */
  pollMs?: number;
  /**
   * How often the runner asks the store whether a running job's crawl or batch was cancelled
   * (on any node), and aborts the job if so: a cancel stops running pages within this bound.
   */
  cancelCheckMs?: number;
  kinds?: JobKind[];
}

const DEFAULT_POLL_MS = 200;
const DEFAULT_CANCEL_CHECK_MS = 1_000;
/** A completion the store refused: a peer declared this node dead and requeued the job. */
const LEASE_LOST = "job result discarded: this node no longer holds the job's lease";
const MAX_ATTEMPTS = 3;
const RETRY_BASE_MS = 1_000;

/**
 * Claims jobs from the store's queue and runs them, `concurrency` at a time. A job either
 * completes, fails for good (its handler said why), or is retried with back-off. At start, jobs
 * an earlier process held are queued again; at close, running jobs are abandoned to the next one.
 */
export class JobRunner {
  readonly #options: JobRunnerOptions;
  /** Each running job, with what aborts it alone (its group was cancelled). */
  readonly #running = new Map<Promise<void>, { job: ClaimedJob; cancel: AbortController }>();
  readonly #stop = new AbortController();
  readonly #wakeup = new Wakeup();
  #loop: Promise<void> | undefined;
  #cancelCheck: NodeJS.Timeout | undefined;
  #checking = false;

  constructor(options: JobRunnerOptions) {
    this.#options = options;
  }

  /** Starts claiming. What dead nodes (earlier runs included) held is requeued by their reap. */
  start(): Promise<void> {
    this.#loop = this.#claimLoop();
    this.#cancelCheck = setInterval(
      () => void this.#abortCancelled(),
      this.#options.cancelCheckMs ?? DEFAULT_CANCEL_CHECK_MS,
    );
    this.#cancelCheck.unref();
    return Promise.resolve();
  }

  /** New jobs are queued: look now rather than at the next poll. */
  notify(): void {
    this.#wakeup.notify();
  }

  async close(): Promise<void> {
    clearInterval(this.#cancelCheck);
    this.#stop.abort();
    this.notify();
    await this.#loop;
    await Promise.allSettled([...this.#running.keys()]);
  }

  async #claimLoop(): Promise<void> {
    const { store, owner, concurrency, teamLimit, leaseMs, kinds } = this.#options;
    while (!this.#stop.signal.aborted) {
      const free = concurrency - this.#running.size;
      const claimed =
        free > 0
          ? await store
              .claimJobs({
                owner: owner.id,
                max: free,
                now: Date.now(),
                leaseMs,
                teamLimit,
                ...(kinds && { kinds }),
              })
              .catch((err: unknown) => this.#claimFailed(err))
          : [];
      for (const job of claimed) this.#spawn(job);
      if (claimed.length === 0 || claimed.length === free) await this.#sleep();
    }
  }

  #claimFailed(err: unknown): [] {
    this.#options.logger.error({ err }, "could not claim jobs");
    return [];
  }

  #spawn(job: ClaimedJob): void {
    const cancel = new AbortController();
    const run = this.#run(job, cancel.signal).finally(() => {
      this.#running.delete(run);
      this.notify();
    });
    this.#running.set(run, { job, cancel });
  }

  async #run(job: ClaimedJob, cancelled: AbortSignal): Promise<void> {
    const { store, handle, logger } = this.#options;
    const log = logger.child({ jobId: job.id, groupId: job.groupId });
    try {
      const result = await handle(job, AbortSignal.any([this.#stop.signal, cancelled]));
      if (!(await store.completeJob(job, { ...result, finishedAt: Date.now() }))) {
        log.warn(LEASE_LOST);
      }
    } catch (err) {
      if (this.#stop.signal.aborted) return; // the next process requeues it
      const failure = cancelled.aborted
        ? { code: "CANCELLED", error: CANCELLED_MESSAGE }
        : failureOf(err, job.attempt);
      if (failure.retryInMs === undefined) log.info({ code: failure.code }, failure.error);
      else log.warn({ err, attempt: job.attempt }, "job failed; it will be retried");
      const recorded = await store
        .failJob(job, { ...failure, finishedAt: Date.now() })
        .catch((e: unknown) => log.error({ err: e }, "could not record a job's failure"));
      if (recorded === false) log.warn(LEASE_LOST);
    }
  }

  /** Aborts the running jobs whose crawl or batch a node has marked cancelled in the store. */
  async #abortCancelled(): Promise<void> {
    if (this.#checking || this.#running.size === 0) return;
    this.#checking = true;
    try {
      const groups = new Set([...this.#running.values()].map((r) => r.job.groupId));
      for (const groupId of groups) {
        const group = await this.#options.store.getJobGroup(groupId);
        if (group && group.status !== "cancelled") continue;
        for (const { job, cancel } of this.#running.values()) {
          if (job.groupId === groupId) cancel.abort();
        }
      }
    } catch (err) {
      this.#options.logger.warn({ err }, "could not check running jobs for a cancel");
    } finally {
      this.#checking = false;
    }
  }

  #sleep(): Promise<void> {
    return this.#wakeup.sleep(this.#options.pollMs ?? DEFAULT_POLL_MS);
  }
}

/** A named failure is final unless it says otherwise; anything unexpected is retried a few times. */
function failureOf(
  err: unknown,
  attempt: number,
): { code: string; error: string; retryInMs?: number } {
  if (err instanceof JobFailed) {
    const retry = err.retry && attempt < MAX_ATTEMPTS;
    return { code: err.code, error: err.message, ...(retry && { retryInMs: backoff(attempt) }) };
  }
  if (err instanceof AppError) return { code: err.code ?? err.kind, error: err.message };
  const error = err instanceof Error ? err.message : String(err);
  if (attempt < MAX_ATTEMPTS) return { code: "UNKNOWN_ERROR", error, retryInMs: backoff(attempt) };
  return { code: "UNKNOWN_ERROR", error };
}

function backoff(attempt: number): number {
  return RETRY_BASE_MS * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
}
