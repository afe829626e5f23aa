import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger } from "../log.ts";
import { NodeIdentity } from "../store/node-identity.ts";
import { jobGroupRow } from "../store/queue-contract.ts";
import { SqliteStore } from "../store/sqlite-store.ts";
import { NodeHeartbeat } from "./node-heartbeat.ts";

const dir = mkdtempSync(path.join(tmpdir(), "skiff-nodes-"));
const store = new SqliteStore(dir);
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const beat = (nodeId: string, singleNode = false) =>
  new NodeHeartbeat({
    store,
    node: new NodeIdentity(nodeId),
    internalUrl: null,
    heartbeatMs: 50,
    deadAfterMs: 400,
    singleNode,
    logger: createLogger("silent"),
  });

/** A one-page batch whose page `owner` has claimed. */
async function claimedPage(owner: string, teamId: string) {
  const group = jobGroupRow({ id: `group-${teamId}`, teamId, createdAt: Date.now() });
  const page = { url: "https://site.test/a", key: "/a", depth: 0 };
  await store.createJobGroup(group, { kind: "page", pages: [page] });
  const claim = { max: 10, now: Date.now(), leaseMs: 3_600_000, teamLimit: 10 };
  const [job] = await store.claimJobs({ ...claim, owner });
  assert.equal(job?.groupId, group.id);
  return { job, claim };
}

const statusOf = async (id: string) => (await store.listNodes()).find((n) => n.id === id)?.status;

describe("NodeHeartbeat", () => {
  it("a peer declares a silent node dead after deadAfterMs and takes its job back", async () => {
    const a = beat("node-a");
    const b = beat("node-b");
    await a.start();
    const { job, claim } = await claimedPage("node-a", "team-1");
    await b.start();
    await sleep(300);
    assert.equal(await statusOf("node-a"), "alive", "beating, it stays alive");
    await a.stop();
    const started = Date.now();
    while ((await statusOf("node-a")) !== "dead") {
      assert.ok(Date.now() - started < 5_000, "declared dead within a few beats of the limit");
      await sleep(25);
    }
    const [again] = await store.claimJobs({ ...claim, now: Date.now(), owner: "node-b" });
    assert.deepEqual([again?.id, again?.attempt], [job?.id, 2]);
    assert.equal(await statusOf("node-b"), "alive");
    if (again)
      await store.completeJob(again, {
        documentJson: "{}",
        creditsUsed: 0,
        links: [],
        finishedAt: Date.now(),
      });
    await b.stop();
  });

  it("on SQLite (one node per store) an earlier run is dead as soon as the next one starts", async () => {
    const earlier = beat("run-1", true);
    await earlier.start();
    const { job, claim } = await claimedPage("run-1", "team-2");
    await earlier.stop();
    const next = beat("run-2", true);
    await next.start();
    assert.equal(await statusOf("run-1"), "dead");
    const [again] = await store.claimJobs({ ...claim, now: Date.now(), owner: "run-2" });
    assert.equal(again?.id, job?.id);
    await next.stop();
  });

  it("a node that finds itself declared dead fences and rejoins under a new id", async () => {
    const node = new NodeIdentity("node-paused");
    const paused = new NodeHeartbeat({
      store,
      node,
      internalUrl: "http://127.0.0.1:1",
      heartbeatMs: 50,
      deadAfterMs: 400,
      singleNode: false,
      logger: createLogger("silent"),
    });
    const fenced: string[][] = [];
    paused.whenFenced((ids) => Promise.resolve(void fenced.push(ids)));
    await paused.start();
    const { job } = await claimedPage("node-paused", "team-3");
    // A peer reaps it as if it had been silent past the limit (a SIGSTOP, a lost network).
    const reaped = await store.reapNodes({
      self: "peer",
      heartbeatBefore: Date.now() + 1,
      now: Date.now(),
    });
    assert.ok(reaped.includes("node-paused"));
    const started = Date.now();
    while (node.id === "node-paused") {
      assert.ok(Date.now() - started < 5_000, "it notices at its next beat");
      await sleep(25);
    }
    assert.deepEqual(fenced, [["node-paused"]]);
    assert.equal(await statusOf("node-paused"), "dead", "the old id stays dead");
    assert.equal(await statusOf(node.id), "alive", "the new id is a live node");
    const late =
      job &&
      (await store.completeJob(job, {
        documentJson: "{}",
        creditsUsed: 0,
        links: [],
        finishedAt: Date.now(),
      }));
    assert.equal(late, false, "its completion under the old lease is refused");
    await paused.stop();
  });
});
