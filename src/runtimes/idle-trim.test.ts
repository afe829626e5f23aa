import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import {
  exposedGc,
  procStatCpu,
  trimHeapOnceIdle,
  type MachineCpu,
  type TrimOptions,
} from "./idle-trim.ts";

/** A machine whose CPU time grows a tick a read, idle or not as `idle()` says at that read. */
function fakeMachine(idle: () => boolean): () => MachineCpu {
  const cpu = { idle: 0, total: 0 };
  return () => {
    cpu.total += 100;
    if (idle()) cpu.idle += 100;
    return { ...cpu };
  };
}

/** Resolves with the collection's duration once `trimHeapOnceIdle` has run, and counts calls. */
function watchTrim(options: Omit<TrimOptions, "onTrimmed"> = {}): {
  trimmed: Promise<number>;
  calls: () => number;
} {
  let calls = 0;
  const { promise, resolve } = Promise.withResolvers<number>();
  trimHeapOnceIdle({
    machineCpu: fakeMachine(() => true),
    ...options,
    onTrimmed: (ms) => {
      calls++;
      resolve(ms);
    },
  });
  return { trimmed: promise, calls: () => calls };
}

/** Keeps the event loop busy (5 ms of work per turn) for `ms`. */
async function busyFor(ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const turn = performance.now() + 5;
    while (performance.now() < turn);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("trimHeapOnceIdle", () => {
  it("collects once, after the loop has been idle for a second", async () => {
    const majors: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const { kind } = (entry as unknown as { detail: { kind: number } }).detail;
        if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors.push(entry.startTime);
      }
    });
    observer.observe({ entryTypes: ["gc"] });
    try {
      const started = performance.now();
      const { trimmed, calls } = watchTrim();
      const ms = await trimmed;
      const done = performance.now();
      const waited = done - started;
      assert.ok(waited >= 1000 && waited < 4000, `collected after ${waited.toFixed(0)} ms`);
      await delay(1500);
      const during = majors.filter((t) => t >= done - ms - 1 && t <= done);
      assert.ok(during.length > 0, `a major collection ran in the trim (${majors.length} in all)`);
      assert.equal(calls(), 1, "once only");
      assert.equal(
        typeof (globalThis as { gc?: unknown }).gc,
        "undefined",
        "gc is not left exposed",
      );
    } finally {
      observer.disconnect();
    }
  });

  it("waits while the loop is busy", async () => {
    const { trimmed, calls } = watchTrim();
    await busyFor(2000);
    assert.equal(calls(), 0, "not while busy");
    const idleFrom = performance.now();
    await trimmed;
    const waited = performance.now() - idleFrom;
    assert.ok(waited >= 900, `collected ${waited.toFixed(0)} ms after the loop went idle`);
  });

  it("waits while the machine is busy, then collects a second after it is not", async () => {
    let machineIdle = false;
    const { trimmed, calls } = watchTrim({ machineCpu: fakeMachine(() => machineIdle) });
    await delay(2000);
    assert.equal(calls(), 0, "not while the other cores are busy");
    // Four checks of 250 ms must see it idle; the first may come right after the switch.
    machineIdle = true;
    const idleFrom = performance.now();
    await trimmed;
    const waited = performance.now() - idleFrom;
    assert.ok(waited >= 700 && waited < 4000, `collected ${waited.toFixed(0)} ms after`);
  });

  it("collects anyway once the thread has been idle for maxWaitMs on a busy machine", async () => {
    const started = performance.now();
    const { trimmed } = watchTrim({ machineCpu: fakeMachine(() => false), maxWaitMs: 1500 });
    await trimmed;
    const waited = performance.now() - started;
    assert.ok(waited >= 1400 && waited < 4000, `collected after ${waited.toFixed(0)} ms`);
  });

  it("reads the machine's CPU time from /proc/stat", async () => {
    const before = procStatCpu();
    assert.ok(before, "/proc/stat is readable here");
    await busyFor(300);
    const after = procStatCpu();
    assert.ok(after && after.total > before.total, "the machine's CPU time grows");
    assert.ok(after.idle >= before.idle && after.idle - before.idle <= after.total - before.total);
  });

  it("finds gc, or answers none, while another thread of the process looks it up too", async (t) => {
    // Both loops run at once: a lookup that another thread's raced finds no gc (it threw before).
    const LOOKUPS = 3000;
    const lookUp = `const { exposedGc } = await import(${JSON.stringify(import.meta.resolve("./idle-trim.ts"))});
      const { parentPort } = await import("node:worker_threads");
      let found = 0;
      for (let i = 0; i < ${LOOKUPS}; i++) if (exposedGc()) found++;
      parentPort.postMessage(found);`;
    const worker = new Worker(`(async () => { ${lookUp} })()`, { eval: true });
    const fromWorker = new Promise<number>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    await new Promise((resolve) => worker.once("online", resolve));
    let found = 0;
    for (let i = 0; i < LOOKUPS; i++) if (exposedGc()) found++;
    const foundInWorker = await fromWorker;
    assert.ok(found > 0 && foundInWorker > 0, `gc found ${found} and ${foundInWorker} times`);
    for (let i = 0; i < 100; i++) assert.ok(exposedGc(), "alone, the lookup always finds it");
    t.diagnostic(`found ${found} and ${foundInWorker} of ${LOOKUPS} each`);
  });
});
