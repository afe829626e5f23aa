import { readFileSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { sessionCredits } from "../billing/session-credits.ts";
import type { Logger } from "../log.ts";
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
   * outlive reboots and pids do not: the real one checks the pid is still a host.
   */
  kill: (pid: number) => void;
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
      opts.kill(session.hostPid);
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
    for (const hostPid of await hostPids(ownerDir)) {
      if (!opts.isAlive(hostPid) || !isSessionHost(hostPid)) continue;
      opts.killGroup(hostPid);
      killed++;
    }
    await rm(ownerDir, { recursive: true, force: true });
  }
  if (killed > 0) opts.logger.warn({ killed }, "stopped session hosts left by a previous run");
  return killed;
}

async function hostPids(ownerDir: string): Promise<number[]> {
  const sessions = await readdir(ownerDir).catch(() => []);
  const pids = await Promise.all(
    sessions.map((name) =>
      readFile(path.join(ownerDir, name, HOST_PID_FILE), "utf8").then(Number, () => NaN),
    ),
  );
  return pids.filter((pid) => Number.isInteger(pid) && pid > 0);
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

/** Kills a session host's process group, unless `pid` now belongs to something else. */
export function killSessionHost(pid: number): void {
  if (isSessionHost(pid)) killProcessGroup(pid);
}
