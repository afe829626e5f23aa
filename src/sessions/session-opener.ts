import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { ChannelError } from "../sandbox/host-channel.ts";
import type { SessionHostHandle } from "../sandbox/host-launcher.ts";
import type { SessionRow, Store } from "../store/store.ts";
import type { ProfileUse, ReplayContext } from "./replay-context.ts";
import type { SessionProfile, SessionProfiles } from "./session-profiles.ts";

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
  nodeId: string;
}

/** How a session comes to be: its profile's lease, a warm host, the scrape's replay, its row. */
export class SessionOpener {
  readonly #deps: SessionOpenerDeps;

  constructor(deps: SessionOpenerDeps) {
    this.#deps = deps;
  }

  /** Takes the profile's lease, a host, replays, stores the row; undoes each step on failure. */
  async open(spec: NewSession): Promise<OpenedSession> {
    const createdAt = Date.now();
    const { profile, storageState } = await this.#deps.profiles.open(
      spec.teamId,
      spec.profile,
      spec.id,
      spec.ttlMs,
    );
    try {
      const host = await this.#takeHost(spec.id);
      await this.#replay(spec, host, storageState, createdAt);
      const writes = profile?.writer ? profile.name : null;
      const row = newSessionRow(spec, createdAt, host.pid, writes, this.#deps.nodeId);
      try {
        await this.#deps.store.insertSession(row);
      } catch (err) {
        this.#deps.queueCleanup(host.stop());
        throw new AppError("UNKNOWN_ERROR", "Failed to persist browser session.", { cause: err });
      }
      this.#deps.logger.info(
        { sessionId: row.id, scrapeId: spec.scrapeId, ms: Date.now() - createdAt },
        "interact session started",
      );
      return { row, host, profile };
    } catch (err) {
      await this.#deps.profiles.release(spec.teamId, profile, spec.id);
      throw err;
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

function newSessionRow(
  spec: NewSession,
  createdAt: number,
  hostPid: number | undefined,
  profileWriter: string | null,
  nodeId: string,
): SessionRow {
  return {
    id: spec.id,
    teamId: spec.teamId,
    scrapeId: spec.scrapeId,
    status: "active",
    createdAt,
    lastActivityAt: Date.now(),
    usedPrompt: false,
    ownerPid: process.pid,
    hostPid: hostPid ?? null,
    endedAt: null,
    endReason: null,
    durationMs: null,
    creditsBilled: null,
    egress: null,
    profileWriter,
    nodeId,
  };
}
