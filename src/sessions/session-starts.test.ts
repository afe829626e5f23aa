import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SessionStarts } from "./session-starts.ts";

/** Whether `promise` has settled by the time the microtasks queued now have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe("SessionStarts", () => {
  it("is idle at once when no start is under way", async () => {
    const starts = new SessionStarts();
    assert.equal(starts.busy, false);
    assert.equal(await settled(starts.idle()), true);
  });

  it("is busy until the last of several starts ends, then wakes every waiter", async () => {
    const starts = new SessionStarts();
    const endFirst = starts.begin();
    const endSecond = starts.begin();
    const waiters = [starts.idle(), starts.idle()];
    endFirst();
    assert.equal(starts.busy, true);
    assert.equal(await settled(waiters[0]!), false);
    endSecond();
    assert.equal(starts.busy, false);
    assert.deepEqual(await Promise.all(waiters.map(settled)), [true, true]);
  });

  it("counts a start's end once, however often it is called", async () => {
    const starts = new SessionStarts();
    const endFirst = starts.begin();
    const endSecond = starts.begin();
    endFirst();
    endFirst();
    assert.equal(starts.busy, true, "the second start is still under way");
    assert.equal(await settled(starts.idle()), false);
    endSecond();
    assert.equal(starts.busy, false);
  });
});
