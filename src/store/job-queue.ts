// The durable job queue of crawls, batch scrapes and extracts, as the Store keeps it. A job group
// is one crawl, batch or extract; its jobs are claimed under a lease, and every state change is one transaction.

export type JobGroupKind = "crawl" | "batch" | "extract";
export type JobGroupStatus = "scraping" | "completed" | "failed" | "cancelled";
/**
 * A crawl starts with one kickoff job (robots.txt, sitemaps, the seed); its other jobs are pages.
 * An extract group has one `extract` job: its document is the result, its failure the group's.
 */
export type JobKind = "kickoff" | "page" | "extract";

export interface JobGroupRow {
  id: string;
  teamId: string;
  kind: JobGroupKind;
  /** A crawl's starting URL; null for a batch. */
  url: string | null;
  /** The parsed request, as JSON. */
  request: unknown;
  status: JobGroupStatus;
  /** The most pages queued, running or done at once (failed pages free their place). */
  limit: number | null;
  /** The most of its pages running at once. */
  maxConcurrency: number | null;
  /** The least time between two of its page starts. */
  delayMs: number;
  createdAt: number;
  finishedAt: number | null;
  /** Why the group failed before it had pages (a kickoff error). */
  error: string | null;
  /** Whether its events (started, each page, completed) are kept for a webhook. */
  webhook: boolean;
  /** How long its results are kept once it has ended; then it and its rows are deleted. */
  retentionMs: number;
}

/** A URL to scrape: `key` is its dedupe key within the group (spec §2.3's normalized URL). */
export interface NewPage {
  url: string;
  key: string;
  /** Link hops from the seed; sitemap pages are 0. */
  depth: number;
}

export interface ClaimedJob {
  id: string;
  groupId: string;
  teamId: string;
  kind: JobKind;
  url: string;
  depth: number;
  /** 1 on the first claim. */
  attempt: number;
  /** Completing or failing the job needs it: a lease lost to another claimer fences the old one. */
  leaseToken: string;
}

export interface ClaimRequest {
  /** Who holds the leases (a server process, later a node). */
  owner: string;
  max: number;
  now: number;
  /** A job still active this long after its claim is free to claim again. */
  leaseMs: number;
  /** The most jobs of one team active at once, across its groups. */
  teamLimit: number;
  /** Only these kinds (e.g. kickoffs on their own worker); all when absent. */
  kinds?: JobKind[];
}

export interface JobSuccess {
  /** The page's document as sent, or null (a kickoff, or zero data retention). */
  documentJson: string | null;
  creditsUsed: number;
  /** Pages it found, to enqueue (deduped, within the limit). */
  links: NewPage[];
  /** Links robots.txt kept the crawl from, for the errors endpoint's `robotsBlocked`. */
  robotsBlocked?: string[];
  finishedAt: number;
}

export interface JobFailure {
  code?: string;
  error: string;
  /** Retry after this long; a final failure when absent. */
  retryInMs?: number;
  finishedAt: number;
}

export interface JobGroupCounts {
  /** Page jobs queued, active or done (failed ones are not counted, as upstream). */
  total: number;
  completed: number;
  failed: number;
  creditsUsed: number;
  /** Jobs of any kind not yet finished. */
  unfinished: number;
}

export interface JobError {
  id: string;
  url: string;
  code: string | null;
  error: string;
  finishedAt: number;
}

export type JobEventType = "started" | "page" | "completed";

/** One event of a group with a webhook, claimed for delivery. */
export interface JobEvent {
  seq: number;
  groupId: string;
  type: JobEventType;
  /** The page job of a `page` event. */
  jobId: string | null;
  /** 1 on the first delivery. */
  attempt: number;
  leaseToken: string;
}

export type EventOutcome = { delivered: true } | { retryAt: number } | { gaveUp: string };

/** How a page job ended, for its `page` event. */
export interface JobOutcome {
  url: string;
  state: "queued" | "active" | "done" | "failed" | "cancelled";
  documentJson: string | null;
  error: string | null;
}

export type CancelOutcome = "cancelled" | "already-completed" | "not-found";

/** The queue's operations; each is atomic. */
export interface JobQueue {
  /** Stores the group and its first jobs (a crawl's kickoff, a batch's pages). */
  createJobGroup(group: JobGroupRow, first: { kind: JobKind; pages: NewPage[] }): Promise<void>;
  getJobGroup(id: string): Promise<JobGroupRow | undefined>;
  /** Up to `max` queued jobs, fair across teams, within each team's and group's limits. */
  claimJobs(request: ClaimRequest): Promise<ClaimedJob[]>;
  /** Stores the page, bills it, enqueues its links, and ends the group when nothing is left. */
  completeJob(job: ClaimedJob, success: JobSuccess): Promise<boolean>;
  failJob(job: ClaimedJob, failure: JobFailure): Promise<boolean>;
  /** Adds pages to a running group (a batch's appendToId); how many were new. */
  enqueuePages(groupId: string, pages: NewPage[], now: number): Promise<number>;
  /**
   * Takes a URL key for a page already running (where it redirected to), without queueing it;
   * false when the group has it already.
   */
  lockUrl(groupId: string, key: string): Promise<boolean>;
  /** Marks the group cancelled and its queued jobs with it; active jobs finish as cancelled. */
  cancelJobGroup(id: string, now: number): Promise<CancelOutcome>;
  /** Ends a group that could not start (no page job was made). */
  failJobGroup(id: string, error: string, now: number): Promise<void>;
  /**
   * Deletes up to `max` groups that ended more than their retention before `now` (none of their
   * jobs still running), with every row of theirs; their ids.
   */
  deleteExpiredJobGroups(now: number, max: number): Promise<string[]>;
  jobGroupCounts(id: string): Promise<JobGroupCounts>;
  /** Stored documents in finishing order. */
  listJobGroupPages(id: string, skip: number, limit: number): Promise<string[]>;
  listJobGroupErrors(id: string): Promise<JobError[]>;
  listRobotsBlocked(id: string): Promise<string[]>;
  /** A team's groups still scraping, oldest first. */
  listActiveJobGroups(teamId: string, kind: JobGroupKind): Promise<JobGroupRow[]>;
  /**
   * Events due for delivery, at most one per group and always its oldest undelivered one, so a
   * group's events arrive in order even when one is retried.
   */
  claimJobEvents(request: { now: number; max: number; leaseMs: number }): Promise<JobEvent[]>;
  finishJobEvent(event: JobEvent, outcome: EventOutcome): Promise<void>;
  getJobOutcome(jobId: string): Promise<JobOutcome | undefined>;
}
