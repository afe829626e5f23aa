import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createLogger } from "../log.ts";
import { SqliteStore } from "../store/sqlite-store.ts";
import { sessionRow } from "../store/store-contract.ts";
import { processIsAlive, reapOrphanSessions } from "./orphan-reaper.ts";

describe("reapOrphanSessions", () => {
  let dir: string;
  let store: SqliteStore;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "skiff-reap-"));
    store = new SqliteStore(dir);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("ends sessions whose server is gone, kills their hosts and bills each once", async () => {
    const deadOwner = 999_999_001;
    const liveOwner = 999_999_002;
    const orphan = sessionRow({
      ownerPid: deadOwner,
      hostPid: 555,
      createdAt: 0,
      lastActivityAt: 90_000,
    });
    const other = sessionRow({ ownerPid: liveOwner });
    await store.insertSession(orphan);
    await store.insertSession(other);
    const killed: number[] = [];
    const opts = {
      store,
      logger: createLogger("silent"),
      now: 100_000,
      isAlive: (pid: number) => pid === liveOwner || pid === 555,
      kill: (pid: number) => void killed.push(pid),
    };
    const reaped = await reapOrphanSessions(opts);
    assert.deepEqual(
      reaped.map((s) => s.id),
      [orphan.id],
    );
    assert.deepEqual(killed, [555]);
    const ended = await store.getSessionByScrape(orphan.scrapeId ?? "");
    assert.equal(ended?.status, "destroyed");
    assert.equal(ended?.endReason, "server-restart");
    assert.equal(ended?.durationMs, 90_000);
    assert.equal(ended?.creditsBilled, 3);
    assert.equal((await store.getSessionByScrape(other.scrapeId ?? ""))?.status, "active");
    assert.deepEqual(await reapOrphanSessions(opts), [], "a second pass bills nothing");
  });

  it("processIsAlive tells a running process from an exited one", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 10000)"]);
    assert.equal(processIsAlive(child.pid ?? -1), true);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    assert.equal(processIsAlive(child.pid ?? -1), false);
  });
});
