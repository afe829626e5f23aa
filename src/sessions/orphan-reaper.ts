import { readFileSync } from "node:fs";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { sessionCredits } from "../billing/session-credits.ts";
import type { Logger } from "../log.ts";
import { statFields } from "../runtimes/proc-stat.ts";
import { killProcessGroup } from "../runtimes/process-group.ts";
import { HOST_PID_FILE } from "../sandbox/host-launcher.ts";
import type { SessionEndReason, SessionRow, Store } from "../store/store.ts";

export interface ReapOptions {
  store: Store;
  logger: Logger;
  now: number;
  /** Whether a process still runs; injectable so tests need no real processes. */
  isAlive: (pid: number) => boolean;
  /**
   * Stops what is left of a host (its sandbox dies with its parent; this is the backstop). Rows
   * outlive reboots and pids do not: the real one checks the pid is still a host, started by
   * `startedBy` (the row's last activity, which the host's start came before).
   */
  kill: (pid: number, startedBy: number) => void;
  /** Nodes declared dead: on SQLite, every earlier run of this server. */
  deadNodes: ReadonlySet<string>;
  /**
   * Whether the dead nodes ran on this machine (one node per store), so that their host pids
   * are this machine's to kill. A peer's pids mean nothing here; its sandboxes die with it.
   */
  killNodeHosts: boolean;
}

/** True when `pid` exists; signal 0 checks without sending anything. */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Ends the sessions a previous server run left active (it crashed or was killed): their hosts
 * are stopped and each is billed once, up to its last activity, as DELETE would have.
 * Call it once at start, before this server opens sessions: a row owned by this very pid is then
 * a previous run's, as containers often give a restarted server the same pid.
 */
export async function reapOrphanSessions(opts: ReapOptions): Promise<SessionRow[]> {
  const orphans = (await opts.store.listActiveSessions()).filter((s) =>
    s.nodeId !== null
      ? opts.deadNodes.has(s.nodeId)
      : s.ownerPid === process.pid || !opts.isAlive(s.ownerPid),
  );
  for (const session of orphans) {
    const local = session.nodeId === null || opts.killNodeHosts;
    if (local && session.hostPid !== null && opts.isAlive(session.hostPid)) {
      opts.kill(session.hostPid, session.lastActivityAt);
    }
  }
  const reaped = await endSessions(opts.store, orphans, opts.now, "server-restart");
  if (reaped.length > 0)
    opts.logger.warn({ count: reaped.length }, "ended sessions left by a previous run");
  return reaped;
}

/**
 * Ends the sessions of nodes a peer has just declared dead, from this node: billed once (the end
 * claim decides which node bills), profile leases freed. Their hosts died with their node.
 */
export async function endSessionsOfNodes(opts: {
  store: Store;
  logger: Logger;
  nodeIds: readonly string[];
  now: number;
}): Promise<SessionRow[]> {
  const dead = new Set(opts.nodeIds);
  const sessions = (await opts.store.listActiveSessions()).filter(
    (s) => s.nodeId !== null && dead.has(s.nodeId),
  );
  const ended = await endSessions(opts.store, sessions, opts.now, "node-lost");
  if (ended.length > 0)
    opts.logger.warn({ count: ended.length, nodes: opts.nodeIds }, "ended a dead node's sessions");
  return ended;
}

/** Bills each session once, to its last activity, as DELETE would have; those this call ended. */
async function endSessions(
  store: Store,
  sessions: SessionRow[],
  now: number,
  reason: SessionEndReason,
) {
  const ended: SessionRow[] = [];
  for (const session of sessions) {
    const durationMs = Math.max(0, session.lastActivityAt - session.createdAt);
    const claimed = await store.claimSessionEnded(session.id, {
      endedAt: now,
      reason,
      durationMs,
      creditsBilled: sessionCredits(durationMs, session.usedPrompt),
    });
    if (claimed) ended.push(session);
    if (session.profileWriter) {
      await store.releaseProfileWriter(session.teamId, session.profileWriter, session.id);
    }
  }
  return ended;
}

export interface HostReapOptions {
  /** `DATA_DIR/sessions`: one folder per server pid, one session folder per host inside. */
  sessionsRoot: string;
  logger: Logger;
  isAlive: (pid: number) => boolean;
  /** Stops a host's whole process group (in mode "none" its Chromium is in it). */
  killGroup: (pid: number) => void;
}

/**
 * Stops the hosts a dead server left (warm ones included, which have no session row) and removes
 * their folders. Like `reapOrphanSessions`, call it at start, before this server starts hosts.
 */
export async function reapOrphanHosts(opts: HostReapOptions): Promise<number> {
  const owners = await readdir(opts.sessionsRoot).catch(() => []);
  let killed = 0;
  for (const owner of owners) {
    const pid = Number(owner);
    if (!Number.isInteger(pid) || (pid !== process.pid && opts.isAlive(pid))) continue;
    const ownerDir = path.join(opts.sessionsRoot, owner);
    for (const { pid: hostPid, writtenAt } of await hostPids(ownerDir)) {
      if (!opts.isAlive(hostPid) || !isSessionHost(hostPid)) continue;
      if (startedAfter(hostPid, writtenAt)) continue; // another host has the dead one's pid
      opts.killGroup(hostPid);
      killed++;
    }
    await rm(ownerDir, { recursive: true, force: true });
  }
  if (killed > 0) opts.logger.warn({ killed }, "stopped session hosts left by a previous run");
  return killed;
}

interface HostPidFile {
  pid: number;
  /** When the launcher wrote it: its host had started by then. */
  writtenAt: number;
}

async function hostPids(ownerDir: string): Promise<HostPidFile[]> {
  const sessions = await readdir(ownerDir).catch(() => []);
  const read = async (name: string): Promise<HostPidFile> => {
    const file = path.join(ownerDir, name, HOST_PID_FILE);
    const [text, info] = await Promise.all([readFile(file, "utf8"), stat(file)]);
    return { pid: Number(text), writtenAt: info.mtimeMs };
  };
  const hosts = await Promise.all(sessions.map((name) => read(name).catch(() => undefined)));
  return hosts.filter(
    (h): h is HostPidFile => h !== undefined && Number.isInteger(h.pid) && h.pid > 0,
  );
}

/**
 * Whether `pid` started well after `time` (ms since the epoch): then it is not the process a pid
 * written at `time` named, but one that got its number since. /proc gives the start in clock
 * ticks since boot (USER_HZ, 100 on Linux) and the boot in whole seconds, so this allows 2 s. A
 * wall clock stepped forward since the write can make it spare a host, never kill a stranger.
 */
export function startedAfter(pid: number, time: number): boolean {
  try {
    const startTicks = Number(statFields(pid)?.[19]); // proc(5)'s field 22, starttime
    const btime = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "latin1"))?.[1];
    if (!Number.isFinite(startTicks) || btime === undefined) return false;
    return Number(btime) * 1000 + startTicks * 10 > time + 2000;
  } catch {
    return false;
  }
}

/** Guards against a recycled pid: only bubblewrap or the host script itself is ours to kill. */
function isSessionHost(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes("bwrap") || cmdline.includes("session-host");
  } catch {
    return false;
  }
}

/**
 * Kills a session host's process group, unless `pid` now belongs to something else: a process
 * that is no host, or one that started after `startedBy`, when the host named by `pid` ran.
 */
export function killSessionHost(pid: number, startedBy: number): void {
  if (isSessionHost(pid) && !startedAfter(pid, startedBy)) killProcessGroup(pid);
}
