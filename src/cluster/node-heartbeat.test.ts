import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger } from "../log.ts";
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
    nodeId,
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
});
