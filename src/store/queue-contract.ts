// The Store contract for the job queue of crawls and batches; storeContract runs it.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { ClaimRequest, ClaimedJob, JobGroupRow, NewPage } from "./job-queue.ts";
import type { Store } from "./store.ts";

let counter = 0;
const uniqueId = (prefix: string) => `${prefix}-${Date.now()}-${++counter}`;

/** A running batch of a team of its own, unless `overrides` say otherwise. */
export function jobGroupRow(overrides: Partial<JobGroupRow> = {}): JobGroupRow {
  return {
    id: uniqueId("group"),
    teamId: uniqueId("team"),
    kind: "batch",
    url: null,
    request: { formats: ["markdown"] },
    status: "scraping",
    limit: null,
    maxConcurrency: null,
    delayMs: 0,
    createdAt: 1_000,
    finishedAt: null,
    error: null,
    webhook: false,
    retentionMs: 86_400_000,
    ...overrides,
  };
}

const group = jobGroupRow;

const pages = (...paths: string[]): NewPage[] =>
  paths.map((p) => ({ url: `https://site.test${p}`, key: p, depth: 1 }));

const claim = (overrides: Partial<ClaimRequest> = {}): ClaimRequest => ({
  owner: "node-1",
  max: 10,
  now: 2_000,
  leaseMs: 60_000,
  teamLimit: 100,
  ...overrides,
});

const done = (documentJson: string | null, links: NewPage[] = [], creditsUsed = 1) => ({
  documentJson,
  creditsUsed,
  links,
  finishedAt: 3_000,
});

/** Registers the queue tests inside a describe whose `before` fills in the store. */
export function queueContract(store: () => Store): void {
  /** Claims only this group's jobs: other tests' groups share the store. */
  async function claimOf(g: JobGroupRow, overrides: Partial<ClaimRequest> = {}) {
    const claimed = await store().claimJobs(claim(overrides));
    const others = claimed.filter((job) => job.groupId !== g.id);
    for (const job of others)
      await store().failJob(job, { error: "another test's job", finishedAt: 0 });
    return claimed.filter((job) => job.groupId === g.id);
  }

  it("runs a batch: claim, complete, count, list the documents in order, bill each page once", async () => {
    const g = group();
    await store().createJobGroup(g, { kind: "page", pages: pages("/a", "/b", "/c") });
    const [first, second, third] = await claimOf(g);
    assert.ok(first && second && third);
    assert.deepEqual([first.attempt, first.kind, first.teamId], [1, "page", g.teamId]);
    assert.equal(await store().completeJob(second, done('{"n":2}')), true);
    assert.equal(await store().completeJob(second, done('{"n":2}')), false, "a job ends once");
    assert.equal(await store().completeJob(first, done('{"n":1}', [], 5)), true);
    assert.equal((await store().getJobGroup(g.id))?.status, "scraping");
    await store().failJob(third, { code: "SCRAPE_TIMEOUT", error: "too slow", finishedAt: 4_000 });
    const finished = await store().getJobGroup(g.id);
    assert.deepEqual([finished?.status, finished?.finishedAt], ["completed", 4_000]);
    assert.deepEqual(await store().jobGroupCounts(g.id), {
      total: 2,
      completed: 2,
      failed: 1,
      creditsUsed: 6,
      unfinished: 0,
    });
    assert.deepEqual(await store().listJobGroupPages(g.id, 0, 10), ['{"n":2}', '{"n":1}']);
    assert.deepEqual(await store().listJobGroupPages(g.id, 1, 10), ['{"n":1}']);
    const errors = await store().listJobGroupErrors(g.id);
    assert.deepEqual(
      errors.map((e) => [e.id, e.url, e.code, e.error]),
      [[third.id, "https://site.test/c", "SCRAPE_TIMEOUT", "too slow"]],
    );
    const charges = (await store().ledger(g.teamId)).map((l) => [l.delta, l.ref]);
    assert.deepEqual(charges, [
      [-1, `scrape:${second.id}`],
      [-5, `scrape:${first.id}`],
    ]);
  });

  it("dedupes discovered links and holds a crawl to its limit; a failed page frees its place", async () => {
    const g = group({ kind: "crawl", url: "https://site.test/", limit: 3 });
    await store().createJobGroup(g, { kind: "kickoff", pages: pages("/") });
    const [kickoff] = await claimOf(g);
    assert.equal(kickoff?.kind, "kickoff");
    assert.ok(kickoff);
    const links = pages("/", "/a", "/a", "/b", "/c", "/d");
    const blocked = ["https://site.test/private/2", "https://site.test/private/1"];
    const kicked = { ...done(null, links, 0), robotsBlocked: [...blocked, blocked[0] ?? ""] };
    assert.equal(await store().completeJob(kickoff, kicked), true);
    assert.deepEqual(await store().listRobotsBlocked(g.id), [...blocked].sort());
    const claimed = await claimOf(g, { now: 3_000 });
    assert.deepEqual(claimed.map((j) => j.url.slice(17)).sort(), ["/", "/a", "/b"]);
    const [, , failing] = claimed;
    assert.ok(failing);
    await store().failJob(failing, { error: "404", finishedAt: 3_000 });
    assert.equal(await store().enqueuePages(g.id, pages("/a", "/c", "/d"), 3_000), 1);
    assert.equal((await store().jobGroupCounts(g.id)).total, 3);
  });

  it("retries after a delay, and fences a lease that another claim took over", async () => {
    const g = group();
    await store().createJobGroup(g, { kind: "page", pages: pages("/a") });
    const [job] = await claimOf(g, { leaseMs: 100 });
    assert.ok(job);
    assert.equal(
      await store().failJob(job, { error: "x", retryInMs: 500, finishedAt: 2_000 }),
      true,
    );
    assert.deepEqual(await claimOf(g, { now: 2_400 }), [], "not before its retry time");
    const [again] = await claimOf(g, { now: 2_500, leaseMs: 100 });
    assert.equal(again?.attempt, 2);
    assert.ok(again);
    const [takenOver] = await claimOf(g, { now: 2_601, owner: "node-2" });
    assert.equal(takenOver?.attempt, 3, "an expired lease is claimed again");
    assert.equal(await store().completeJob(again, done("{}")), false, "the old lease is fenced");
    assert.ok(takenOver);
    assert.equal(await store().completeJob(takenOver, done("{}")), true);
  });

  it("shares a claim fairly between teams, within the team limit and a group's concurrency", async () => {
    const big = group();
    const small = group();
    const capped = group({ maxConcurrency: 1 });
    await store().createJobGroup(big, { kind: "page", pages: pages("/1", "/2", "/3", "/4", "/5") });
    await store().createJobGroup(small, { kind: "page", pages: pages("/1", "/2") });
    await store().createJobGroup(capped, { kind: "page", pages: pages("/1", "/2", "/3") });
    const claimed = await store().claimJobs(claim({ max: 50, teamLimit: 2 }));
    const ours = claimed.filter((j) => [big.id, small.id, capped.id].includes(j.groupId));
    const count = (g: JobGroupRow) => ours.filter((j) => j.groupId === g.id).length;
    assert.deepEqual([count(big), count(small), count(capped)], [2, 2, 1]);
    for (const job of claimed) await store().completeJob(job, done("{}"));
  });

  it("gives a one-job claim to a waiting team, not to the team with a long, older queue", async () => {
    // Earlier tests' queued jobs would be older than these: end them first.
    for (let old = await store().claimJobs(claim({ max: 100 })); old.length > 0;) {
      for (const job of old) await store().failJob(job, { error: "earlier", finishedAt: 0 });
      old = await store().claimJobs(claim({ max: 100 }));
    }
    const busy = group();
    const many = Array.from({ length: 60 }, (_, i) => `/${i}`);
    await store().createJobGroup(busy, { kind: "page", pages: pages(...many) });
    const running = await claimOf(busy, { max: 2 });
    assert.equal(running.length, 2);
    const waiting = group({ createdAt: 1_500 });
    await store().createJobGroup(waiting, { kind: "page", pages: pages("/only") });
    const [next] = await claimOf(waiting, { max: 1 });
    assert.equal(next?.groupId, waiting.id, "the waiting team's job, though 58 older ones queue");
    await store().cancelJobGroup(busy.id, 2_000);
    for (const job of [...running, ...(next ? [next] : [])]) {
      await store().completeJob(job, done("{}"));
    }
  });

  it("paces a group with a delay: one page at a time, each start `delayMs` after the last", async () => {
    const g = group({ delayMs: 1_000, maxConcurrency: 5 });
    await store().createJobGroup(g, { kind: "page", pages: pages("/1", "/2", "/3") });
    const first = await claimOf(g, { now: 10_000 });
    assert.equal(first.length, 1);
    assert.ok(first[0]);
    await store().completeJob(first[0], done("{}"));
    assert.deepEqual(await claimOf(g, { now: 10_500 }), []);
    assert.equal((await claimOf(g, { now: 11_000 })).length, 1);
  });

  it("cancels: queued jobs go, a late completion stores nothing, and the group says cancelled", async () => {
    const g = group();
    await store().createJobGroup(g, { kind: "page", pages: pages("/1", "/2", "/3") });
    const [active] = await claimOf(g, { max: 1 });
    assert.ok(active);
    assert.equal(await store().cancelJobGroup(g.id, 5_000), "cancelled");
    assert.equal(await store().cancelJobGroup(g.id, 5_001), "cancelled", "twice is fine");
    assert.deepEqual(await claimOf(g), []);
    await store().completeJob(active, done("{}"));
    assert.deepEqual(await store().listJobGroupPages(g.id, 0, 10), []);
    assert.equal((await store().getJobGroup(g.id))?.status, "cancelled");
    assert.equal((await store().jobGroupCounts(g.id)).unfinished, 0);
    assert.equal(await store().cancelJobGroup("missing", 1), "not-found");
    const finished = group();
    await store().createJobGroup(finished, { kind: "page", pages: pages("/1") });
    const [only] = await claimOf(finished);
    assert.ok(only);
    await store().completeJob(only, done("{}"));
    assert.equal(await store().cancelJobGroup(finished.id, 6_000), "already-completed");
  });

  it("deletes a group and all its rows once its retention has passed, never while a job runs", async () => {
    const g = group({
      kind: "crawl",
      url: "https://site.test/",
      retentionMs: 1_000,
      webhook: true,
    });
    await store().createJobGroup(g, { kind: "kickoff", pages: pages("/") });
    const [kickoff] = await claimOf(g);
    assert.ok(kickoff);
    const links = pages("/a");
    await store().completeJob(kickoff, {
      ...done("{}", links),
      robotsBlocked: ["https://site.test/x"],
    });
    const [page] = await claimOf(g, { now: 5_000 });
    assert.ok(page);
    await store().completeJob(page, done('{"n":1}'));
    const ended = await store().getJobGroup(g.id);
    assert.deepEqual([ended?.status, ended?.retentionMs], ["completed", 1_000]);
    const expiry = (ended?.finishedAt ?? 0) + 1_000;
    assert.deepEqual(await store().deleteExpiredJobGroups(expiry - 1, 100), []);
    const running = group({ retentionMs: 1_000 });
    await store().createJobGroup(running, { kind: "page", pages: pages("/1", "/2") });
    const [active] = await claimOf(running, { max: 1 });
    assert.ok(active);
    await store().cancelJobGroup(running.id, 2_000);
    assert.deepEqual(await store().deleteExpiredJobGroups(expiry, 100), [g.id]);
    assert.equal(await store().getJobGroup(g.id), undefined);
    assert.deepEqual(await store().listJobGroupPages(g.id, 0, 10), []);
    assert.deepEqual(await store().listRobotsBlocked(g.id), []);
    assert.equal(await store().getJobOutcome(page.id), undefined);
    assert.equal(await store().lockUrl(g.id, "/a"), true, "its visited set is gone too");
    assert.ok(await store().getJobGroup(running.id), "a running job holds its cancelled group");
    await store().completeJob(active, done("{}"));
    assert.deepEqual(await store().deleteExpiredJobGroups(expiry, 100), [running.id]);
  });

  it("lists a team's running crawls, and ends one whose kickoff failed", async () => {
    const g = group({ kind: "crawl", url: "https://site.test/" });
    await store().createJobGroup(g, { kind: "kickoff", pages: pages("/") });
    const [held] = await claimOf(g);
    assert.ok(held);
    assert.deepEqual(
      (await store().listActiveJobGroups(g.teamId, "crawl")).map((r) => r.id),
      [g.id],
    );
    assert.deepEqual(await store().listActiveJobGroups(g.teamId, "batch"), []);
    await store().failJobGroup(g.id, "kickoff failed", 3_000);
    await store().failJob(held, { error: "kickoff failed", finishedAt: 3_000 });
    const failed = await store().getJobGroup(g.id);
    assert.deepEqual([failed?.status, failed?.error], ["failed", "kickoff failed"]);
  });

  it("runs an extract: one durable job, its result stored and billed once, a failure ends it", async () => {
    const g = group({ kind: "extract", url: null });
    const first = [{ url: "https://site.test/", key: "extract", depth: 0 }];
    await store().createJobGroup(g, { kind: "extract", pages: first });
    const [job] = await claimOf(g, { teamLimit: 1 });
    assert.deepEqual([job?.kind, job?.url], ["extract", "https://site.test/"]);
    assert.equal((await claimOf(g)).length, 0, "claimed, it is an active row, not claimable");
    assert.deepEqual(await store().listActiveJobGroups(g.teamId, "crawl"), []);
    assert.ok(job);
    assert.equal(await store().completeJob(job, done('{"answer":1}', [], 7)), true);
    assert.equal((await store().getJobGroup(g.id))?.status, "completed");
    assert.deepEqual(await store().listJobGroupPages(g.id, 0, 10), ['{"answer":1}']);
    assert.equal((await store().jobGroupCounts(g.id)).creditsUsed, 7);
    const charges = (await store().ledger(g.teamId)).map((l) => [l.delta, l.ref]);
    assert.deepEqual(charges, [[-7, `scrape:${job.id}`]]);
    const f = group({ kind: "extract", url: null });
    await store().createJobGroup(f, { kind: "extract", pages: first });
    const [failing] = await claimOf(f);
    assert.ok(failing);
    await store().failJob(failing, { code: "EXTRACT_FAILED", error: "no page", finishedAt: 3_000 });
    const failed = await store().getJobGroup(f.id);
    assert.deepEqual([failed?.status, failed?.error], ["failed", "no page"]);
    assert.deepEqual(await store().ledger(f.teamId), []);
  });

  it("hands each job to one of many claims made at once", async () => {
    const g = group();
    const paths = Array.from({ length: 12 }, (_, i) => `/${i}`);
    await store().createJobGroup(g, { kind: "page", pages: pages(...paths) });
    const claims = await Promise.all(
      Array.from({ length: 6 }, (_, i) => store().claimJobs(claim({ max: 5, owner: `n${i}` }))),
    );
    const ours: ClaimedJob[] = claims.flat().filter((j) => j.groupId === g.id);
    assert.equal(ours.length, 12);
    assert.equal(new Set(ours.map((j) => j.id)).size, 12);
    for (const job of claims.flat()) await store().completeJob(job, done("{}"));
  });

  it("keeps a webhook's events in order: one at a time per group, a retry holding the rest back", async () => {
    const g = group({ webhook: true });
    await store().createJobGroup(g, { kind: "page", pages: pages("/1", "/2") });
    const [one, two] = await claimOf(g);
    assert.ok(one && two);
    await store().completeJob(one, done('{"n":1}'));
    await store().failJob(two, { error: "gone", finishedAt: 3_500 });
    const claimEvent = async (now: number) => {
      const events = await store().claimJobEvents({ now, max: 100, leaseMs: 1_000 });
      return events.filter((e) => e.groupId === g.id);
    };
    const seen: string[] = [];
    const [started] = await claimEvent(5_000);
    assert.equal(started?.type, "started");
    assert.ok(started);
    assert.deepEqual(await claimEvent(5_000), [], "one event of a group in flight at a time");
    await store().finishJobEvent(started, { retryAt: 6_000 });
    assert.deepEqual(await claimEvent(5_500), [], "its retry holds the later events back");
    for (let now = 6_000; seen.length < 4; now += 1) {
      const [event] = await claimEvent(now);
      assert.ok(event, `an event at ${now}`);
      seen.push(`${event.type}:${event.jobId ?? ""}:${event.attempt}`);
      await store().finishJobEvent(event, { delivered: true });
    }
    assert.deepEqual(seen, ["started::2", `page:${one.id}:1`, `page:${two.id}:1`, "completed::1"]);
    assert.deepEqual(await claimEvent(10_000), []);
    assert.equal((await store().getJobOutcome(one.id))?.documentJson, '{"n":1}');
    assert.deepEqual(await store().getJobOutcome(two.id), {
      url: "https://site.test/2",
      state: "failed",
      documentJson: null,
      error: "gone",
    });
    const quiet = group();
    await store().createJobGroup(quiet, { kind: "page", pages: pages("/1") });
    const events = await store().claimJobEvents({ now: 10_000, max: 100, leaseMs: 1_000 });
    assert.equal(events.filter((e) => e.groupId === quiet.id).length, 0, "no webhook, no events");
  });

  it("50 parallel claimers over 100 jobs claim each job once", async () => {
    const g = group();
    const paths = Array.from({ length: 100 }, (_, i) => `/${i}`);
    await store().createJobGroup(g, { kind: "page", pages: pages(...paths) });
    const claims = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store().claimJobs(claim({ max: 5, teamLimit: 1_000, owner: `n${i}` })),
      ),
    );
    const ours = claims.flat().filter((j) => j.groupId === g.id);
    assert.equal(ours.length, 100, "every job claimed (some claims got fewer than 5)");
    assert.equal(new Set(ours.map((j) => j.id)).size, 100, "no job claimed twice");
    assert.deepEqual(new Set(ours.map((j) => j.url)), new Set(pages(...paths).map((p) => p.url)));
    for (const job of claims.flat()) assert.equal(await store().completeJob(job, done("{}")), true);
    const counts = await store().jobGroupCounts(g.id);
    assert.deepEqual([counts.completed, counts.unfinished], [100, 0]);
    assert.equal((await store().getJobGroup(g.id))?.status, "completed");
  });
}
