import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { createLogger } from "../log.ts";
import type { SandboxExit } from "../sandbox/sandbox-launcher.ts";
import { HostPool, peakWithin } from "./host-pool.ts";

/** A stand-in host: the pool only launches, hands out, watches for exit and stops hosts. */
class FakeHost {
  readonly pid: number;
  isAlive = true;
  stopped = false;
  readonly #exit = Promise.withResolvers<SandboxExit>();

  constructor(pid: number) {
    this.pid = pid;
  }

  get exited(): Promise<SandboxExit> {
    return this.#exit.promise;
  }

  die(): void {
    this.isAlive = false;
    this.#exit.resolve({ code: null, signal: "SIGKILL" });
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.die();
    return Promise.resolve();
  }
}

interface PoolSetup {
  failFirst?: number;
  maxSize?: number;
  memoryRoom?: number;
  demandMemoryMs?: number;
  launchMs?: number;
  maxOnDemand?: number;
  onDemandTurnMs?: number;
}

function pool(size: number, setup: PoolSetup = {}) {
  const launched: FakeHost[] = [];
  const launches = { running: 0, peak: 0 };
  let failures = setup.failFirst ?? 0;
  const hosts = new HostPool<FakeHost>({
    size,
    maxSize: setup.maxSize ?? 0,
    // Hosts that fit in all: each live one takes its place.
    memoryRoom: () => (setup.memoryRoom ?? 100) - launched.filter((h) => h.isAlive).length,
    maxLaunching: 2,
    maxOnDemand: setup.maxOnDemand ?? 100,
    onDemandTurnMs: setup.onDemandTurnMs ?? 60_000,
    demandMemoryMs: setup.demandMemoryMs ?? 60_000,
    logger: createLogger("silent"),
    launch: async () => {
      launches.peak = Math.max(launches.peak, ++launches.running);
      try {
        await delay(setup.launchMs ?? 5);
        if (failures-- > 0) throw new Error("no browser today");
      } finally {
        launches.running--;
      }
      const host = new FakeHost(launched.length + 1);
      launched.push(host);
      return host;
    },
  });
  return { hosts, launched, launches };
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) assert.fail("condition not met in time");
    await delay(5);
  }
}

describe("HostPool", () => {
  it("keeps `size` hosts warm and hands out a warm one first", async () => {
    const { hosts, launched } = pool(2);
    hosts.start();
    await until(() => hosts.readyCount === 2);
    const taken = await hosts.take();
    assert.equal(taken.pid, 1);
    await until(() => hosts.readyCount === 2);
    assert.equal(launched.length, 3, "one launched to refill");
    await hosts.close();
    assert.deepEqual(
      launched.map((h) => h.stopped),
      [false, true, true],
      "close stops the waiting hosts, not the one handed out",
    );
  });

  it("launches on demand when the pool is empty (size 0)", async () => {
    const { hosts, launched } = pool(0);
    hosts.start();
    const host = await hosts.take();
    assert.equal(host.pid, 1);
    assert.equal(launched.length, 1);
    await hosts.close();
  });

  it("replaces a warm host that dies, and never hands out a dead one", async () => {
    const { hosts, launched } = pool(1);
    hosts.start();
    await until(() => hosts.readyCount === 1);
    launched[0]?.die();
    await until(() => launched.length === 2 && hosts.readyCount === 1);
    assert.equal((await hosts.take()).pid, 2);
    await hosts.close();
  });

  it("retries a failed launch after a back-off", async () => {
    const { hosts, launched } = pool(1, { failFirst: 1 });
    hosts.start();
    await until(() => hosts.readyCount === 1, 5000);
    assert.equal(launched.length, 1);
    await hosts.close();
  });

  it("grows after a burst of starts, up to maxSize, once the burst is over", async () => {
    const { hosts, launched } = pool(1, { maxSize: 4, launchMs: 30 });
    hosts.start();
    await until(() => hosts.readyCount === 1);
    const burst = Promise.all(Array.from({ length: 6 }, () => hosts.take()));
    await delay(10);
    assert.equal(launched.length, 1, "no pool launch while sessions wait for theirs");
    await burst;
    assert.equal(hosts.targetSize, 4, "six starts in a burst, bounded by maxSize");
    await delay(200);
    assert.ok(hosts.readyCount <= 1, "only its own size within a second of the last start");
    await until(() => hosts.readyCount === 4);
    assert.equal(launched.length, 1 + 5 + 4, "the warm one, five on demand, four to refill");
    await hosts.close();
  });

  it("launches at most maxOnDemand hosts at once for sessions; the others wait their turn", async () => {
    const { hosts, launched, launches } = pool(0, { maxOnDemand: 2, launchMs: 20 });
    const taken = await Promise.all(Array.from({ length: 5 }, () => hosts.take()));
    assert.equal(launches.peak, 2);
    assert.deepEqual(taken.map((h) => h.pid).sort(), [1, 2, 3, 4, 5]);
    assert.equal(launched.length, 5);
    await hosts.close();
  });

  it("passes a failed launch's turn on to the next session waiting", async () => {
    const { hosts, launches } = pool(0, { maxOnDemand: 1, failFirst: 1 });
    const results = await Promise.allSettled(Array.from({ length: 3 }, () => hosts.take()));
    assert.deepEqual(
      results.map((r) => r.status),
      ["rejected", "fulfilled", "fulfilled"],
    );
    assert.equal(launches.peak, 1);
    await hosts.close();
  });

  it("lets the next session launch once a hanging launch has held its turn too long", async () => {
    const { hosts, launches } = pool(0, { maxOnDemand: 1, onDemandTurnMs: 100, launchMs: 1000 });
    const started = Date.now();
    const both = Promise.all([hosts.take(), hosts.take()]);
    await until(() => launches.running === 2, 800);
    assert.ok(Date.now() - started < 800, "the second launch started before the first ended");
    await both;
    await hosts.close();
  });

  it("gives a session waiting its turn a warm host that came up meanwhile", async () => {
    const { hosts, launched } = pool(1, { maxOnDemand: 1, launchMs: 100 });
    hosts.start();
    const taken = await Promise.all([hosts.take(), hosts.take()]);
    assert.deepEqual(taken.map((h) => h.pid).sort(), [1, 2]);
    assert.equal(launched.length, 2, "the warm one and one on demand, not a third");
    await hosts.close();
  });

  it("refuses the sessions still waiting for a turn once it closes", async () => {
    const { hosts } = pool(0, { maxOnDemand: 1, launchMs: 300 });
    const first = hosts.take();
    const second = hosts.take();
    await delay(20);
    const started = Date.now();
    const closing = hosts.close();
    await assert.rejects(second, /closed/);
    assert.ok(Date.now() - started < 200, "without waiting for the launch ahead of it");
    await first;
    await closing;
  });

  it("grows only into the memory there is", async () => {
    const { hosts } = pool(0, { maxSize: 10, memoryRoom: 7 });
    await Promise.all(Array.from({ length: 5 }, () => hosts.take()));
    await until(() => hosts.readyCount === 2);
    await delay(50);
    assert.equal(
      hosts.readyCount,
      2,
      "room for seven hosts: five in use, two warm of a target of five",
    );
    await hosts.close();
  });

  it("shrinks back to its size once the bursts stop, stopping the extra hosts", async () => {
    const { hosts, launched } = pool(1, { maxSize: 5, demandMemoryMs: 2500 });
    hosts.start();
    await Promise.all(Array.from({ length: 3 }, () => hosts.take()));
    await until(() => hosts.readyCount === 3);
    await until(() => hosts.targetSize === 1 && hosts.readyCount === 1, 6000);
    assert.equal(launched.filter((h) => h.stopped).length, 2);
    await hosts.close();
  });

  it("keeps its size when maxSize is not above it", async () => {
    const { hosts } = pool(1, { maxSize: 0 });
    await Promise.all(Array.from({ length: 4 }, () => hosts.take()));
    assert.equal(hosts.targetSize, 1);
    await hosts.close();
  });
});

describe("peakWithin", () => {
  it("counts the most times within a span", () => {
    assert.equal(peakWithin([], 10), 0);
    assert.equal(peakWithin([0, 1, 2, 50, 51], 10), 3);
    assert.equal(peakWithin([0, 10, 20], 10), 1, "the span is half-open");
    assert.equal(peakWithin([0, 5, 9, 12, 14, 18], 10), 4);
  });
});
