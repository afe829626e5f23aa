import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { ChannelError } from "../sandbox/host-channel.ts";
import type { SessionHostHandle } from "../sandbox/host-launcher.ts";
import type { SessionRow, Store } from "../store/store.ts";
import type { ProfileUse, ReplayContext } from "./replay-context.ts";
import type { SessionProfile, SessionProfiles } from "./session-profiles.ts";
import type { NodeIdentity } from "../store/node-identity.ts";

/** What a new session is made from: the scrape's replay and the profile it named. */
export interface SessionPlan {
  context: ReplayContext;
  profile: ProfileUse | undefined;
}

/** A session about to start: for a scrape (its replay) or standalone (a blank page). */
export interface NewSession extends SessionPlan {
  id: string;
  scrapeId: string | null;
  teamId: string;
  ttlMs: number;
  idleMs: number;
}

/** A session's parts once it is open, before its clocks and tokens start. */
export interface OpenedSession {
  row: SessionRow;
  host: SessionHostHandle;
  profile: SessionProfile | undefined;
}

export interface SessionOpenerDeps {
  store: Store;
  profiles: SessionProfiles;
  hosts: { take(): Promise<SessionHostHandle> };
  logger: Logger;
  /** Stops a host in the background, tracked so the manager's close waits for it. */
  queueCleanup(work: Promise<void>): void;
  /** This node, named on each session's row. */
  node: NodeIdentity;
}

/** How a session comes to be: its profile's lease, a warm host, the scrape's replay, its row. */
export class SessionOpener {
  readonly #deps: SessionOpenerDeps;

  constructor(deps: SessionOpenerDeps) {
    this.#deps = deps;
  }

  /**
   * Stores the row, takes the profile's lease and a host, replays; undoes each step on failure.
   * The row comes first: it names this node before anything starts, so that a first call for the
   * same scrape on another node finds it (and is forwarded here) instead of starting a second one.
   * `afterClaim` (the team's slot) runs once the row is this node's, so that the loser of such a
   * race is forwarded to the winner rather than refused for a slot the winner holds.
   */
  async open(spec: NewSession, afterClaim: () => Promise<void>): Promise<OpenedSession> {
    const createdAt = Date.now();
    const row = newSessionRow(spec, createdAt, this.#deps.node.id);
    await this.#claimRow(row);
    try {
      await afterClaim();
      const { profile, storageState } = await this.#deps.profiles.open(
        spec.teamId,
        spec.profile,
        spec.id,
        spec.ttlMs,
      );
      try {
        const host = await this.#takeHost(spec.id);
        await this.#replay(spec, host, storageState, createdAt);
        await this.#recordHost(row, host);
        this.#deps.logger.info(
          {
            sessionId: row.id,
            scrapeId: spec.scrapeId,
            hostPid: host.pid,
            ms: Date.now() - createdAt,
          },
          "interact session started",
        );
        return { row, host, profile };
      } catch (err) {
        await this.#deps.profiles.release(spec.teamId, profile, spec.id);
        throw err;
      }
    } catch (err) {
      await this.#deps.store
        .discardSession(row.id)
        .catch((e: unknown) =>
          this.#deps.logger.error({ err: e }, "could not discard a session row"),
        );
      throw err;
    }
  }

  /** Writes the row; a scrape whose session another start (here or on a peer) claimed first throws. */
  async #claimRow(row: SessionRow): Promise<void> {
    let inserted: boolean;
    try {
      inserted = await this.#deps.store.insertSession(row);
    } catch (err) {
      throw new AppError("UNKNOWN_ERROR", "Failed to persist browser session.", { cause: err });
    }
    if (inserted) return;
    const winner =
      row.scrapeId === null ? undefined : await this.#deps.store.getSessionByScrape(row.scrapeId);
    throw new SessionElsewhere(winner);
  }

  async #recordHost(row: SessionRow, host: SessionHostHandle): Promise<void> {
    row.lastActivityAt = Date.now();
    if (host.pid === undefined) return;
    row.hostPid = host.pid;
    try {
      await this.#deps.store.setSessionHostPid(row.id, host.pid, row.lastActivityAt);
    } catch (err) {
      this.#deps.queueCleanup(host.stop());
      throw new AppError("UNKNOWN_ERROR", "Failed to persist browser session.", { cause: err });
    }
  }

  async #replay(
    spec: NewSession,
    host: SessionHostHandle,
    storageState: unknown,
    createdAt: number,
  ): Promise<void> {
    host.egressLabel = `session ${spec.id}`;
    const log = this.#deps.logger.child({
      sessionId: spec.id,
      scrapeId: spec.scrapeId,
      hostPid: host.pid,
    });
    try {
      const timeoutMs = replayTimeoutMs(spec.context);
      const replayed = await host.replay({ ...spec.context, timeoutMs, storageState });
      log.debug({ ...replayed, ms: Date.now() - createdAt }, "scrape replayed");
    } catch (err) {
      this.#deps.queueCleanup(host.stop());
      // The host answering "Replay failed" is the page's doing (409, rerun the scrape); a host
      // that died is Skiff's (502: no user code ran, so the SDK's retry is safe).
      const replayFailed = err instanceof ChannelError && err.code === "REMOTE";
      log.warn({ err }, replayFailed ? "replay failed" : "session host failed during replay");
      throw new AppError(replayFailed ? "REPLAY_FAILED" : "SESSION_CREATE_FAILED", undefined, {
        cause: err,
      });
    }
  }

  async #takeHost(sessionId: string): Promise<SessionHostHandle> {
    try {
      return await this.#deps.hosts.take();
    } catch (err) {
      this.#deps.logger.error({ err, sessionId }, "could not start a session host");
      throw new AppError("SESSION_CREATE_FAILED", undefined, { cause: err });
    }
  }
}

/**
 * Firecrawl's estimate (spec §2.4): the waits the scrape asked for, a second per selector wait,
 * and 45 s for the navigation and the rest, within 30–300 s.
 */
export function replayTimeoutMs(context: ReplayContext): number {
  let ms = context.waitForMs + 45_000;
  for (const action of context.actions) {
    if (action.type !== "wait") continue;
    ms += action.milliseconds ?? 1000;
  }
  return Math.min(300, Math.max(30, Math.ceil(ms / 1000))) * 1000;
}

/**
 * A first call for a scrape whose session was claimed first by another start: on a peer (the
 * row names it; the call goes there), or here, when this node's row for it is being discarded.
 */
export class SessionElsewhere extends Error {
  readonly row: SessionRow | undefined;

  constructor(row: SessionRow | undefined) {
    super(`the scrape's session is on node ${row?.nodeId ?? "(none)"}`);
    this.name = "SessionElsewhere";
    this.row = row;
  }
}

function newSessionRow(spec: NewSession, createdAt: number, nodeId: string): SessionRow {
  return {
    id: spec.id,
    teamId: spec.teamId,
    scrapeId: spec.scrapeId,
    status: "active",
    createdAt,
    lastActivityAt: createdAt,
    usedPrompt: false,
    ownerPid: process.pid,
    hostPid: null,
    endedAt: null,
    endReason: null,
    durationMs: null,
    creditsBilled: null,
    egress: null,
    profileWriter: spec.profile?.saveChanges ? spec.profile.name : null,
    nodeId,
  };
}
