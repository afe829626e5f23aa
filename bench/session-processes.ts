// One session's processes, read from /proc: the hosts of a server's session pool and their memory.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { RunningSkiff } from "../test/helpers/skiff-harness.ts";
import { statFields } from "../src/runtimes/proc-stat.ts";

/** PSS of the processes of one name, split into anonymous and file-backed (+ shmem) pages. */
export interface ProcessMemory {
  name: string;
  count: number;
  mb: number;
  anonMB: number;
  fileMB: number;
}

/** PSS of one session's processes (the host's sandbox and everything under it). */
export interface SessionMemory {
  totalMB: number;
  processes: number;
  byName: ProcessMemory[];
  /** For settledSessionMemory: how long the session took to settle. */
  settledAfterMs?: number;
}

/**
 * After a DELETE, the warm pool has been refilling since the first call took its host. src/
 * exposes no "pool ready" signal (and this benchmark adds none), so each sample waits for the
 * stopped host's directory to go and the new one's Chromium to appear, then this long more: a
 * whole cold host launch (sandbox, Node, Chromium, CDP connect) takes about a second here.
 */
const REFILL_SETTLE_MS = 2000;

/** `DATA_DIR/sessions/<server pid>/`: one directory per host, warm or in a session. */
const hostsDir = (server: RunningSkiff) =>
  path.join(server.dataDir, "sessions", String(process.pid));

/** Host directory -> host pid (the sandbox's outermost process), for hosts that wrote one. */
export function hostPids(server: RunningSkiff): Map<string, number> {
  const out = new Map<string, number>();
  let dirs: string[] = [];
  try {
    dirs = readdirSync(hostsDir(server));
  } catch {
    return out;
  }
  for (const dir of dirs) {
    const pid = Number(read(path.join(hostsDir(server), dir, "host.pid")).trim());
    if (pid > 0) out.set(dir, pid);
  }
  return out;
}

function read(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** `pid` and all its descendants, through /proc/<pid>/task/<tid>/children. */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...childrenOf(out[i]!));
  return out;
}

/** The processes `pid` started (through any of its threads) that are still running. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const tid of tasksOf(pid)) {
    for (const child of read(`/proc/${pid}/task/${tid}/children`).split(/\s+/)) {
      if (child) out.push(Number(child));
    }
  }
  return out;
}

/**
 * The program's name, plus Chromium's `--type=` (renderer, gpu-process, …) or Node's script.
 * Chromium rewrites its command line as one space-separated string, so both separators count.
 */
function processName(pid: number): string {
  const cmdline = read(`/proc/${pid}/cmdline`);
  const argv = cmdline.split(/[\0 ]/);
  const program = path.basename(argv[0] ?? "") || read(`/proc/${pid}/comm`).trim() || "?";
  const type = /--type=([\w-]+)/.exec(cmdline)?.[1];
  if (type) return `${program} (${type})`;
  if (program === "node" && argv[1]) return `${program} (${path.basename(argv[1])})`;
  return program;
}

/** A field of /proc/<pid>/smaps_rollup (`Pss`, `Pss_Anon`, …), in kB; 0 for a process gone. */
function rollupKb(rollup: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(rollup);
  return match ? Number(match[1]) : 0;
}

export function sessionMemory(hostPid: number): SessionMemory {
  const byName = new Map<string, ProcessMemory>();
  let totalKb = 0;
  const pids = processTree(hostPid);
  for (const pid of pids) {
    const rollup = read(`/proc/${pid}/smaps_rollup`);
    const name = processName(pid);
    const entry = byName.get(name) ?? { name, count: 0, mb: 0, anonMB: 0, fileMB: 0 };
    entry.count++;
    entry.mb += rollupKb(rollup, "Pss") / 1024;
    entry.anonMB += rollupKb(rollup, "Pss_Anon") / 1024;
    entry.fileMB += (rollupKb(rollup, "Pss_File") + rollupKb(rollup, "Pss_Shmem")) / 1024;
    byName.set(name, entry);
    totalKb += rollupKb(rollup, "Pss");
  }
  return {
    totalMB: totalKb / 1024,
    processes: pids.length,
    byName: [...byName.values()].sort((a, b) => b.mb - a.mb),
  };
}

/**
 * The warm pool holds `warm` hosts again: `liveSessions` sessions and `warm` hosts more, every
 * host's Chromium up, then REFILL_SETTLE_MS for the last one to finish opening.
 */
export async function waitForWarmPool(
  server: RunningSkiff,
  liveSessions = 0,
  warm = 1,
): Promise<void> {
  const deadline = Date.now() + 30_000 + warm * 2_000;
  for (;;) {
    const hosts = [...hostPids(server).values()];
    const chromiumUp = (host: number) =>
      processTree(host).some((p) => processName(p).startsWith("chrom"));
    if (
      server.skiff.sessions.activeCount === liveSessions &&
      hosts.length === liveSessions + warm &&
      hosts.every(chromiumUp)
    ) {
      break;
    }
    if (Date.now() > deadline) throw new Error(`the warm session pool did not reach ${warm}`);
    await delay(50);
  }
  await delay(REFILL_SETTLE_MS);
}

/** An idle session's readings this close to each other over SETTLE_WINDOW are taken as settled. */
const SETTLED_MB = 0.5;
const SETTLE_STEP_MS = 1_000;
/** Readings in the window: three seconds, longer than a host waits to collect (a second idle). */
const SETTLE_WINDOW = 4;
const SETTLE_LIMIT_MS = 20_000;

/**
 * An idle session's memory once it has settled: a host collects its garbage once it and the
 * machine have been idle for a second (src/runtimes/idle-trim.ts), so a reading taken while the
 * machine is still busy (the warm pool refilling) would count garbage the session is about to
 * drop. Reads every second until SETTLE_WINDOW readings in a row agree within SETTLED_MB, for at
 * most SETTLE_LIMIT_MS; returns the last reading, and how long it took.
 */
export async function settledSessionMemory(hostPid: number): Promise<SessionMemory> {
  const started = performance.now();
  const totals: number[] = [];
  for (;;) {
    const reading = sessionMemory(hostPid);
    totals.push(reading.totalMB);
    const window = totals.slice(-SETTLE_WINDOW);
    const waited = performance.now() - started;
    const settled =
      window.length === SETTLE_WINDOW && Math.max(...window) - Math.min(...window) < SETTLED_MB;
    if (settled || waited >= SETTLE_LIMIT_MS) return { ...reading, settledAfterMs: waited };
    await delay(SETTLE_STEP_MS);
  }
}

/** /proc counts CPU time in clock ticks of USER_HZ, 100 a second on Linux. */
const MS_PER_TICK = 10;

/** User and system CPU time of a process so far (proc(5) fields 14 and 15); 0 once it is gone. */
function cpuMs(pid: number): number {
  const fields = statFields(pid) ?? [];
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * MS_PER_TICK;
}

/** CPU time so far of the processes of `pid`'s tree, of its Node processes and their threads. */
export interface TreeCpu {
  totalMs: number;
  /** Its Node processes together (a session's host). */
  nodeMs: number;
  /** The threads of its Node processes by name (WorkerThread, MainThread, V8Worker, …). */
  nodeThreads: Map<string, number>;
}

/** What `pid` and everything under it have used of the CPU since they started. */
export function treeCpu(pid: number): TreeCpu {
  const out: TreeCpu = { totalMs: 0, nodeMs: 0, nodeThreads: new Map() };
  const addThread = (name: string, ms: number) =>
    out.nodeThreads.set(name, (out.nodeThreads.get(name) ?? 0) + ms);
  for (const p of processTree(pid)) {
    const ms = cpuMs(p);
    out.totalMs += ms;
    if (!processName(p).startsWith("node")) continue;
    out.nodeMs += ms;
    let live = 0;
    for (const tid of tasksOf(p)) {
      // schedstat's first field is the thread's time on a CPU in ns: ticks, rounded down for each
      // of a dozen threads, would lose tens of ms.
      const threadMs = Number(read(`/proc/${p}/task/${tid}/schedstat`).split(" ")[0] ?? 0) / 1e6;
      live += threadMs;
      // The threads of a pool share a name (V8Worker, libuv-worker) and are summed under it.
      addThread(read(`/proc/${p}/task/${tid}/comm`).trim(), threadMs);
    }
    // A process's own line counts the threads that have ended too (to a tick, 10 ms).
    if (ms - live >= MS_PER_TICK) addThread("threads that ended", ms - live);
  }
  return out;
}

/** The thread ids of a process; none once it is gone. */
function tasksOf(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

/** The direct children of this process, to tell a browser it launches from those before. */
export function childPids(): Set<number> {
  return new Set(childrenOf(process.pid));
}
