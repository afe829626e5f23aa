// The Store contract for nodes (nodes.ts); storeContract runs it on every store.
import assert from "node:assert/strict";
import { it } from "node:test";
import { jobGroupRow } from "./queue-contract.ts";
import type { Store } from "./store.ts";

let counter = 0;
const uniqueId = (prefix: string) => `${prefix}-${Date.now()}-${++counter}`;

export function nodesContract(store: () => Store): void {
  it("a lapsed node is declared dead once; its slots, holds and claimed jobs are freed", async () => {
    const [live, lapsed] = [uniqueId("node"), uniqueId("node")];
    await store().registerNode({ id: live, internalUrl: "http://10.0.0.1:3202", now: 1_000 });
    await store().registerNode({ id: lapsed, internalUrl: null, now: 1_000 });
    assert.equal(await store().heartbeatNode(live, 9_000), true);
    const team = uniqueId("team");
    const slot = { teamId: team, kind: "session" as const, limit: 1, now: 1_000, expiresAt: 1e12 };
    assert.equal(await store().takeSlot({ ...slot, holder: uniqueId("s"), nodeId: lapsed }), true);
    await store().appendLedger({
      teamId: team,
      delta: 1,
      reason: "grant",
      ref: uniqueId("g"),
      createdAt: 1,
    });
    const hold = { teamId: team, amount: 1, now: 1_000, expiresAt: 1e12 };
    assert.equal(await store().holdCredits({ ...hold, ref: uniqueId("h"), nodeId: lapsed }), true);
    const group = jobGroupRow({ teamId: team });
    await store().createJobGroup(group, {
      kind: "page",
      pages: [{ url: "https://site.test/a", key: "/a", depth: 0 }],
    });
    const claim = { max: 100, now: 2_000, leaseMs: 1e9, teamLimit: 100 };
    const claimed = await store().claimJobs({ ...claim, owner: lapsed });
    const job = claimed.find((j) => j.groupId === group.id);
    assert.ok(job);

    const reapers = [live, uniqueId("node")].map((self) =>
      store().reapNodes({ self, heartbeatBefore: 5_000, now: 10_000 }),
    );
    const declared = (await Promise.all(reapers)).flat().filter((id) => id === lapsed);
    assert.deepEqual(declared, [lapsed], "declared dead by exactly one reaper");
    const nodes = await store().listNodes();
    const status = (id: string) => nodes.find((n) => n.id === id)?.status;
    assert.deepEqual([status(live), status(lapsed)], ["alive", "dead"]);
    assert.equal(nodes.find((n) => n.id === live)?.internalUrl, "http://10.0.0.1:3202");
    assert.equal(await store().heartbeatNode(lapsed, 10_001), false, "a dead node must rejoin");

    assert.equal(await store().takeSlot({ ...slot, holder: uniqueId("s"), nodeId: live }), true);
    assert.equal(await store().holdCredits({ ...hold, ref: uniqueId("h"), nodeId: live }), true);
    assert.equal(
      await store().completeJob(job, {
        documentJson: "{}",
        creditsUsed: 0,
        links: [],
        finishedAt: 10_500,
      }),
      false,
      "its late completion is refused",
    );
    const again = await store().claimJobs({ ...claim, now: 11_000, owner: live });
    const requeued = again.find((j) => j.groupId === group.id);
    assert.deepEqual([requeued?.id, requeued?.attempt], [job.id, 2]);
    await store().completeJob(requeued ?? job, {
      documentJson: "{}",
      creditsUsed: 0,
      links: [],
      finishedAt: 12_000,
    });
    assert.deepEqual(
      await store().reapNodes({ self: live, heartbeatBefore: 5_000, now: 13_000 }),
      [],
    );
  });
}
