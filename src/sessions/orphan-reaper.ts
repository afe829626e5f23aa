import { sessionCredits } from "../billing/session-credits.ts";
import type { Logger } from "../log.ts";
import type { SessionRow, Store } from "../store/store.ts";

export interface ReapOptions {
  store: Store;
  logger: Logger;
  now: number;
  /** Whether a process still runs; injectable so tests need no real processes. */
  isAlive: (pid: number) => boolean;
  /** Stops what is left of a host (its sandbox dies with its parent; this is the backstop). */
  kill: (pid: number) => void;
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
  const orphans = (await opts.store.listActiveSessions()).filter(
    (s) => s.ownerPid === process.pid || !opts.isAlive(s.ownerPid),
  );
  const reaped: SessionRow[] = [];
  for (const session of orphans) {
    if (session.hostPid !== null && opts.isAlive(session.hostPid)) opts.kill(session.hostPid);
    const durationMs = Math.max(0, session.lastActivityAt - session.createdAt);
    const claimed = await opts.store.claimSessionEnded(session.id, {
      endedAt: opts.now,
      reason: "server-restart",
      durationMs,
      creditsBilled: sessionCredits(durationMs, session.usedPrompt),
    });
    if (claimed) reaped.push(session);
  }
  if (reaped.length > 0)
    opts.logger.warn({ count: reaped.length }, "ended sessions left by a previous run");
  return reaped;
}
