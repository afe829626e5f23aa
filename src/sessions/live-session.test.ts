import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import type { SessionHostHandle } from "../sandbox/host-launcher.ts";
import { sessionRow } from "../store/store-contract.ts";
import { LiveSession, type ExpiryReason } from "./live-session.ts";

/** The session only watches its host's channel; the calls get the host back. */
function fakeHost() {
  const closed = Promise.withResolvers<Error>();
  return { host: { channelClosed: closed.promise } as unknown as SessionHostHandle, closed };
}

function session(ttlMs: number, idleMs: number) {
  const expired: ExpiryReason[] = [];
  const { host, closed } = fakeHost();
  const live = new LiveSession({
    row: sessionRow(),
    host,
    ttlMs,
    idleMs,
    onExpire: (s, reason) => {
      expired.push(reason);
      s.markEnded(reason);
    },
  });
  return { live, expired, closed };
}

describe("LiveSession", () => {
  it("runs calls one at a time, in the order they came", async () => {
    const { live } = session(10_000, 10_000);
    const order: number[] = [];
    await Promise.all(
      [30, 0, 10].map((ms, i) =>
        live.run(async () => {
          await delay(ms);
          order.push(i);
        }),
      ),
    );
    assert.deepEqual(order, [0, 1, 2]);
    live.markEnded("deleted");
  });

  it("expires when idle, but not while a call runs", async () => {
    const { live, expired } = session(10_000, 50);
    await live.run(() => delay(120));
    assert.deepEqual(expired, [], "a long call is activity");
    await delay(100);
    assert.deepEqual(expired, ["idle"]);
  });

  it("expires at its TTL even when busy, and refuses calls afterwards with 410", async () => {
    const { live, expired } = session(60, 1000);
    await live.run(() => delay(100));
    assert.deepEqual(expired, ["ttl"]);
    await assert.rejects(
      live.run(() => delay(1)),
      { status: 410 },
    );
  });

  it("ends as crashed when its host's channel closes", async () => {
    const { live, expired, closed } = session(10_000, 10_000);
    closed.resolve(new Error("gone"));
    await delay(1);
    assert.deepEqual(expired, ["crashed"]);
    assert.equal(live.endReason, "crashed");
  });

  it("a queued call finds the session ended and gets 410", async () => {
    const { live } = session(10_000, 10_000);
    const first = live.run(() => delay(30));
    const second = live.run(() => Promise.resolve("ran"));
    await delay(5); // the first call is running now
    live.markEnded("deleted");
    await first;
    await assert.rejects(second, { status: 410 });
  });
});
