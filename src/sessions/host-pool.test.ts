import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { createLogger } from "../log.ts";
import type { SandboxExit } from "../sandbox/sandbox-launcher.ts";
import { HostPool } from "./host-pool.ts";

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

function pool(size: number, failFirst = 0) {
  const launched: FakeHost[] = [];
  let failures = failFirst;
  const hosts = new HostPool<FakeHost>({
    size,
    logger: createLogger("silent"),
    launch: async () => {
      await delay(5);
      if (failures-- > 0) throw new Error("no browser today");
      const host = new FakeHost(launched.length + 1);
      launched.push(host);
      return host;
    },
  });
  return { hosts, launched };
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
    const { hosts, launched } = pool(1, 1);
    hosts.start();
    await until(() => hosts.readyCount === 1, 5000);
    assert.equal(launched.length, 1);
    await hosts.close();
  });
});
