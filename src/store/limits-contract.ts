// The Store contract for team limits (limits.ts); storeContract runs it on every store. The
// parallel cases pass trivially on SQLite and catch a check-then-insert race on Postgres.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { CreditHoldRequest, SlotRequest } from "./limits.ts";
import type { Store } from "./store.ts";

let counter = 0;
const uniqueId = (prefix: string) => `${prefix}-${Date.now()}-${++counter}`;

const slot = (teamId: string, overrides: Partial<SlotRequest> = {}): SlotRequest => ({
  holder: uniqueId("holder"),
  teamId,
  kind: "session",
  limit: 5,
  nodeId: "node-1",
  now: 1_000,
  expiresAt: 60_000,
  ...overrides,
});

const hold = (teamId: string, overrides: Partial<CreditHoldRequest> = {}): CreditHoldRequest => ({
  ref: uniqueId("hold"),
  teamId,
  amount: 1,
  nodeId: "node-1",
  now: 1_000,
  expiresAt: 60_000,
  ...overrides,
});

const count = (results: boolean[]) => results.filter(Boolean).length;

export function limitsContract(store: () => Store): void {
  it("20 parallel slot takers at limit 5: exactly 5 get one; a release frees one", async () => {
    const team = uniqueId("team");
    const requests = Array.from({ length: 20 }, () => slot(team));
    const taken = await Promise.all(requests.map((r) => store().takeSlot(r)));
    assert.equal(count(taken), 5);
    const holder = requests[taken.indexOf(true)]?.holder ?? "";
    assert.equal(await store().takeSlot(slot(team, { holder })), true, "a holder's own slot");
    assert.equal(await store().takeSlot(slot(team)), false, "still full");
    assert.equal(await store().takeSlot(slot(team, { kind: "scrape" })), true, "kinds apart");
    await store().releaseSlot(holder);
    assert.equal(await store().takeSlot(slot(team)), true);
    assert.equal(await store().takeSlot(slot(uniqueId("team"))), true, "teams apart");
  });

  it("a slot its holder never gave back is free once it expires", async () => {
    const team = uniqueId("team");
    assert.equal(await store().takeSlot(slot(team, { limit: 1, expiresAt: 5_000 })), true);
    assert.equal(await store().takeSlot(slot(team, { limit: 1, now: 4_999 })), false);
    assert.equal(await store().takeSlot(slot(team, { limit: 1, now: 5_000 })), true);
  });

  it("10 parallel credit holds with credits for 2: exactly 2 hold; a release frees them", async () => {
    const team = uniqueId("team");
    await store().appendLedger({
      teamId: team,
      delta: 2,
      reason: "grant",
      ref: `grant:${team}`,
      createdAt: 1,
    });
    const requests = Array.from({ length: 10 }, () => hold(team));
    const held = await Promise.all(requests.map((r) => store().holdCredits(r)));
    assert.equal(count(held), 2);
    const ref = requests[held.indexOf(true)]?.ref ?? "";
    await store().releaseCredits(ref);
    assert.equal(await store().holdCredits(hold(team)), true);
    assert.equal(await store().holdCredits(hold(team)), false);
  });

  it("holds count against charges, and a hold that expires gives its credits back", async () => {
    const team = uniqueId("team");
    const entry = { teamId: team, reason: "grant" as const, createdAt: 1 };
    await store().appendLedger({ ...entry, delta: 3, ref: `grant:${team}` });
    assert.equal(await store().holdCredits(hold(team, { amount: 2, expiresAt: 5_000 })), true);
    await store().appendLedger({ ...entry, delta: -1, reason: "scrape", ref: `charge:${team}` });
    assert.equal(await store().holdCredits(hold(team, { amount: 1 })), false, "3 - 1 - 2 = 0");
    assert.equal(await store().holdCredits(hold(team, { amount: 1, now: 5_000 })), true);
  });
}
