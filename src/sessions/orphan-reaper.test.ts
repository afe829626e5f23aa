import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { isRunning } from "../runtimes/proc-stat.ts";
import { createLogger } from "../log.ts";
import { SqliteStore } from "../store/sqlite-store.ts";
import { sessionRow } from "../store/store-contract.ts";
import { killProcessGroup } from "../runtimes/process-group.ts";
import { HOST_PID_FILE } from "../sandbox/host-launcher.ts";
import {
  endSessionsOfNodes,
  killSessionHost,
  processIsAlive,
  reapOrphanHosts,
  reapOrphanSessions,
  startedAfter,
} from "./orphan-reaper.ts";

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
      kill: (pid: number, startedBy: number) => void killed.push(pid, startedBy),
      deadNodes: new Set<string>(),
      killNodeHosts: true,
    };
    const reaped = await reapOrphanSessions(opts);
    assert.deepEqual(
      reaped.map((s) => s.id),
      [orphan.id],
    );
    assert.deepEqual(killed, [555, 90_000], "the host, started by the row's last activity");
    const ended = await store.getSessionByScrape(orphan.scrapeId ?? "");
    assert.equal(ended?.status, "destroyed");
    assert.equal(ended?.endReason, "server-restart");
    assert.equal(ended?.durationMs, 90_000);
    assert.equal(ended?.creditsBilled, 3);
    assert.equal((await store.getSessionByScrape(other.scrapeId ?? ""))?.status, "active");
    assert.deepEqual(await reapOrphanSessions(opts), [], "a second pass bills nothing");
  });

  it("frees the profile lease an orphaned writer held", async () => {
    const writer = sessionRow({ ownerPid: 999_999_003, profileWriter: "shop" });
    await store.insertSession(writer);
    assert.equal(await store.acquireProfileWriter(writer.teamId, "shop", writer.id, 0, 1e15), true);
    assert.equal(await store.acquireProfileWriter(writer.teamId, "shop", "next", 1, 1e15), false);
    await reapOrphanSessions({
      store,
      logger: createLogger("silent"),
      now: 100_000,
      isAlive: () => false,
      kill: () => {},
      deadNodes: new Set(),
      killNodeHosts: true,
    });
    assert.equal(await store.acquireProfileWriter(writer.teamId, "shop", "next", 2, 1e15), true);
  });

  it("ends a dead node's sessions by their node, billed once, and kills a peer's pids never", async () => {
    const ofDead = sessionRow({ nodeId: "node-dead", ownerPid: 999_999_005, hostPid: 777 });
    const ofLive = sessionRow({ nodeId: "node-live", ownerPid: 999_999_004 });
    await store.insertSession(ofDead);
    await store.insertSession(ofLive);
    const killed: number[] = [];
    const reaped = await reapOrphanSessions({
      store,
      logger: createLogger("silent"),
      now: 100_000,
      // Neither owner pid runs here, and the dead node's host pid happens to: pids say nothing.
      isAlive: (pid) => pid === 777,
      kill: (pid) => void killed.push(pid),
      deadNodes: new Set(["node-dead"]),
      killNodeHosts: false,
    });
    assert.deepEqual(
      reaped.map((r) => r.id),
      [ofDead.id],
      "by node, not by pid: the live node's owner pid is gone here",
    );
    assert.deepEqual(killed, [], "a peer's host pid means nothing on this machine");
    const third = sessionRow({ nodeId: "node-gone", lastActivityAt: 61_000, createdAt: 1_000 });
    await store.insertSession(third);
    const ended = await endSessionsOfNodes({
      store,
      logger: createLogger("silent"),
      nodeIds: ["node-gone"],
      now: 200_000,
    });
    assert.deepEqual(
      ended.map((r) => r.id),
      [third.id],
    );
    assert.equal((await store.getSession(third.id))?.endReason, "node-lost");
    assert.equal(
      await endSessionsOfNodes({
        store,
        logger: createLogger("silent"),
        nodeIds: ["node-gone"],
        now: 200_001,
      }).then((e) => e.length),
      0,
    );
    const charge = (await store.ledger(third.teamId)).filter(
      (l) => l.ref === `session:${third.id}`,
    );
    assert.equal(charge.length, 1, "billed once");
    assert.equal((await store.getSession(ofLive.id))?.status, "active");
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

/** Keeps a Node process alive until it is killed; argv[1] is free text that shows in its cmdline. */
const SLEEP = "setInterval(() => {}, 1000)";
/** Like SLEEP, with a child in its own process group whose pid it prints (a host's Chromium). */
const SLEEP_WITH_CHILD = `const c = require("node:child_process").spawn(process.execPath,
  ["-e", ${JSON.stringify(SLEEP)}], { stdio: "ignore" }); console.log(c.pid); ${SLEEP}`;

describe("reapOrphanHosts", () => {
  let root: string;
  const children: ChildProcess[] = [];
  const extraPids: number[] = [];
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), "skiff-reap-hosts-"));
  });
  after(() => {
    for (const child of children) if (child.pid) killProcessGroup(child.pid);
    for (const pid of extraPids) killQuietly(pid);
    rmSync(root, { recursive: true, force: true });
  });

  /** A detached Node process (its own group, like a real host) whose cmdline holds `label`. */
  function startProcess(label: string, script = SLEEP): ChildProcess {
    const child = spawn(process.execPath, ["-e", script, label], {
      detached: true,
      stdio: ["ignore", "pipe", "ignore"],
    });
    children.push(child);
    return child;
  }

  /** `<root>/<owner>/skiff-session-<n>/host.pid`, as the launcher writes it. */
  function hostFolder(owner: number | string, name: string, pid: number | string): string {
    const dir = path.join(root, String(owner), `skiff-session-${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, HOST_PID_FILE), String(pid));
    return dir;
  }

  it("kills a dead server's hosts with their group, spares other processes, removes its folder", async () => {
    const deadOwner = deadPid();
    const liveOwner = startProcess("live-server");
    const orphanHost = startProcess("fake-session-host", SLEEP_WITH_CHILD);
    const orphanBrowser = await firstLinePid(orphanHost);
    extraPids.push(orphanBrowser);
    const recycled = startProcess("someone-elses-process");
    const liveOwnersHost = startProcess("fake-session-host");
    hostFolder(deadOwner, "a", pidOf(orphanHost));
    hostFolder(deadOwner, "b", pidOf(recycled));
    hostFolder(deadOwner, "c", deadPid());
    hostFolder(deadOwner, "d", "not a pid");
    const keptFolder = hostFolder(pidOf(liveOwner), "e", pidOf(liveOwnersHost));
    mkdirSync(path.join(root, "not-a-server"));
    for (const pid of [pidOf(orphanHost), orphanBrowser, pidOf(recycled)]) {
      assert.equal(processIsAlive(pid), true, `process ${pid} runs before the reap`);
    }

    const killed = await reapOrphanHosts(hostReapOptions(root));

    assert.equal(killed, 1);
    assert.deepEqual(await exitOf(orphanHost), { code: null, signal: "SIGKILL" });
    assert.equal(await diesWithin(orphanBrowser, 5_000), true, "the host's group went with it");
    assert.equal(existsSync(path.join(root, String(deadOwner))), false);
    await new Promise((r) => setTimeout(r, 200));
    for (const spared of [recycled, liveOwnersHost, liveOwner]) {
      assert.equal(spared.exitCode ?? spared.signalCode, null, `${spared.spawnargs[3]} runs`);
    }
    assert.equal(existsSync(keptFolder), true, "a live server's folder is left alone");
    assert.equal(existsSync(path.join(root, "not-a-server")), true);
  });

  it("treats a folder named for this very pid as a previous run's", async () => {
    const host = startProcess("fake-session-host");
    hostFolder(process.pid, "a", pidOf(host));
    assert.equal(await reapOrphanHosts(hostReapOptions(root)), 1);
    assert.deepEqual(await exitOf(host), { code: null, signal: "SIGKILL" });
    assert.equal(existsSync(path.join(root, String(process.pid))), false);
  });

  it("spares a host that started after its pid file was written: it took a dead host's pid", async () => {
    const newcomer = startProcess("fake-session-host");
    const ours = startProcess("fake-session-host");
    const minuteAgo = new Date(Date.now() - 60_000);
    const written = hostFolder(deadPid(), "a", pidOf(newcomer));
    utimesSync(path.join(written, HOST_PID_FILE), minuteAgo, minuteAgo);
    hostFolder(deadPid(), "b", pidOf(ours));
    assert.equal(startedAfter(pidOf(newcomer), minuteAgo.getTime()), true);
    assert.equal(startedAfter(pidOf(ours), Date.now()), false);

    assert.equal(await reapOrphanHosts(hostReapOptions(root)), 1);
    assert.deepEqual(await exitOf(ours), { code: null, signal: "SIGKILL" });
    assert.equal(processIsAlive(pidOf(newcomer)), true, "the newcomer runs on");
  });

  it("killSessionHost spares a process that took over a stored host pid", async () => {
    const stranger = startProcess("not-ours");
    const newcomer = startProcess("fake-session-host");
    const host = startProcess("fake-session-host");
    killSessionHost(pidOf(stranger), Date.now());
    // A host that started after the row's last activity is another one, with the old pid.
    killSessionHost(pidOf(newcomer), Date.now() - 60_000);
    killSessionHost(pidOf(host), Date.now());
    assert.deepEqual(await exitOf(host), { code: null, signal: "SIGKILL" });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(processIsAlive(pidOf(stranger)), true);
    assert.equal(processIsAlive(pidOf(newcomer)), true, "the newcomer runs on");
  });

  it("does nothing when there is no sessions folder yet", async () => {
    const missing = path.join(root, "does-not-exist");
    assert.equal(await reapOrphanHosts(hostReapOptions(missing)), 0);
  });
});

function hostReapOptions(sessionsRoot: string) {
  return {
    sessionsRoot,
    logger: createLogger("silent"),
    isAlive: processIsAlive,
    killGroup: killProcessGroup,
  };
}

/** The pid of a process that has exited and been waited for: a real dead pid. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ["-e", ""]).pid;
  assert.equal(processIsAlive(pid), false);
  return pid;
}

function pidOf(child: ChildProcess): number {
  assert.ok(child.pid, "the child started");
  return child.pid;
}

async function firstLinePid(child: ChildProcess): Promise<number> {
  const chunk = await new Promise<Buffer>((resolve) => child.stdout?.once("data", resolve));
  return Number(chunk.toString().trim());
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

/** A grandchild cannot be waited for: poll until it is gone or only a zombie. */
async function diesWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isRunning(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
