import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AppError } from "../errors.ts";
import { SlotQueue } from "./slot-queue.ts";

const never = new AbortController().signal;

test("free slots are granted at once, with no queue time", async () => {
  const slots = new SlotQueue(2);
  assert.equal(await slots.acquire(never, 1000), 0);
  assert.equal(await slots.acquire(never, 1000), 0);
  assert.equal(slots.waiting, 0);
});

test("waiters are served first in, first out, with their queue time", async () => {
  const slots = new SlotQueue(1);
  await slots.acquire(never, 1000);
  const order: number[] = [];
  const waits = [1, 2, 3].map((n) => slots.acquire(never, 1000).then((ms) => (order.push(n), ms)));
  assert.equal(slots.waiting, 3);
  for (let i = 0; i < 3; i++) {
    await sleep(20);
    slots.release();
  }
  const queued = await Promise.all(waits);
  assert.deepEqual(order, [1, 2, 3]);
  assert.ok(
    queued.every((ms) => ms >= 15),
    String(queued),
  );
});

test("a wait past the timeout is CONCURRENCY_QUEUE_TIMEOUT and leaves the queue", async () => {
  const slots = new SlotQueue(1);
  await slots.acquire(never, 1000);
  await assert.rejects(
    slots.acquire(never, 30),
    (e) => e instanceof AppError && e.kind === "CONCURRENCY_QUEUE_TIMEOUT",
  );
  assert.equal(slots.waiting, 0);
  slots.release();
  assert.equal(await slots.acquire(never, 1000), 0, "the released slot was not lost");
});

test("an abort leaves the queue with the abort reason; later waiters move up", async () => {
  const slots = new SlotQueue(1);
  await slots.acquire(never, 1000);
  const controller = new AbortController();
  const aborted = slots.acquire(controller.signal, 1000);
  const next = slots.acquire(never, 1000);
  controller.abort(new AppError("SCRAPE_TIMEOUT"));
  await assert.rejects(aborted, (e) => e instanceof AppError && e.kind === "SCRAPE_TIMEOUT");
  slots.release();
  assert.ok((await next) > 0);
});

test("an already aborted signal is refused without queueing", async () => {
  const slots = new SlotQueue(0);
  await assert.rejects(
    slots.acquire(AbortSignal.abort(), 1000),
    /aborted|SCRAPE_TIMEOUT|timed out/i,
  );
  assert.equal(slots.waiting, 0);
});

test("rejectAll empties the queue", async () => {
  const slots = new SlotQueue(0);
  const waits = [slots.acquire(never, 1000), slots.acquire(never, 1000)];
  slots.rejectAll(new AppError("SERVICE_UNAVAILABLE"));
  for (const w of waits)
    await assert.rejects(w, (e) => e instanceof AppError && e.kind === "SERVICE_UNAVAILABLE");
  assert.equal(slots.waiting, 0);
});
