import { sessionCredits } from "../billing/session-credits.ts";
import type { Logger } from "../log.ts";
import type { SessionEndReason, SessionRow, Store } from "../store/store.ts";
import type { LiveSession } from "./live-session.ts";
import type { SessionHolds } from "./session-holds.ts";
import type { SessionProfiles } from "./session-profiles.ts";

/** How a session ended, as DELETE reports it; no `creditsBilled` when it had ended already. */
export interface EndOutcome {
  durationMs: number;
  creditsBilled: number | undefined;
}

export interface SessionEnderDeps {
  store: Store;
  profiles: SessionProfiles;
  holds: SessionHolds;
  logger: Logger;
  /** Drops the session from the running ones and forgets its tokens; calls then get 410. */
  forget(session: LiveSession): void;
}

/**
 * The one way every session ends (DELETE, TTL, idle, a crash, a shutdown, a fence): forget it,
 * give its holds back, save its profile, stop its host in the background, bill it and mark its
 * row destroyed, once however many ask. Also ends rows whose host is gone, and tracks host stops.
 */
export class SessionEnder {
  readonly #deps: SessionEnderDeps;
  readonly #ending = new Map<LiveSession, Promise<EndOutcome>>();
  readonly #cleanups = new Set<Promise<void>>();

  constructor(deps: SessionEnderDeps) {
    this.#deps = deps;
  }

  /** Ends a session once, however many callers ask; the host stops in the background. */
  end(session: LiveSession, reason: SessionEndReason): Promise<EndOutcome> {
    let ending = this.#ending.get(session);
    if (!ending) {
      session.markEnded(reason);
      ending = this.#finish(session, session.endReason ?? reason);
      this.#ending.set(session, ending);
    }
    return ending;
  }

  /**
   * Stops a session a peer has billed already (this node was declared dead under it): no charge
   * and no profile save; its slot, hold and tokens go at once.
   */
  fence(session: LiveSession): void {
    session.markEnded("node-lost");
    this.#ending.set(session, Promise.resolve({ durationMs: 0, creditsBilled: undefined }));
    this.#deps.forget(session);
    this.#deps.holds.releaseTeamSlot(session.row.id);
    this.#deps.holds.releaseCredits(session.row.id);
    this.queueCleanup(session.host.stop());
  }

  /** A row this server does not run (its host is gone): end it as of its last activity. */
  async endStale(row: SessionRow): Promise<EndOutcome> {
    if (row.status === "destroyed") {
      return { durationMs: row.durationMs ?? 0, creditsBilled: undefined };
    }
    const durationMs = Math.max(0, row.lastActivityAt - row.createdAt);
    const credits = sessionCredits(durationMs, row.usedPrompt);
    const end = {
      endedAt: Date.now(),
      reason: "deleted" as const,
      durationMs,
      creditsBilled: credits,
    };
    const claimed = await this.#deps.store.claimSessionEnded(row.id, end);
    return { durationMs, creditsBilled: claimed ? credits : undefined };
  }

  /** Stops a host in the background; `drain` waits for it. */
  queueCleanup(work: Promise<void>): void {
    const tracked = work
      .catch((err: unknown) => this.#deps.logger.error({ err }, "stopping a session host failed"))
      .finally(() => this.#cleanups.delete(tracked));
    this.#cleanups.add(tracked);
  }

  /** Resolves once the host stops queued so far are done. */
  async drain(): Promise<void> {
    await Promise.all(this.#cleanups);
  }

  async #finish(session: LiveSession, reason: SessionEndReason): Promise<EndOutcome> {
    const { row, host } = session;
    this.#deps.forget(session);
    this.#deps.holds.releaseTeamSlot(row.id);
    await this.#deps.profiles.close(row.teamId, session.profile, row.id, host, session.lastState);
    this.queueCleanup(host.stop());
    const endedAt = Date.now();
    const durationMs = endedAt - row.createdAt;
    const credits = sessionCredits(durationMs, row.usedPrompt);
    const { bytesIn, bytesOut } = host.egress;
    const end = {
      endedAt,
      reason,
      durationMs,
      creditsBilled: credits,
      egress: { bytesIn, bytesOut },
    };
    const claimed = await this.#deps.store
      .claimSessionEnded(row.id, end)
      .finally(() => this.#deps.holds.releaseCredits(row.id));
    // A crash is the operator's business: at warn, with what the channel saw (exit, silence…).
    const crashed = reason === "crashed" && !host.isAlive;
    const cause = crashed ? { cause: (await host.channelClosed).message } : {};
    this.#deps.logger[crashed ? "warn" : "info"](
      {
        sessionId: row.id,
        scrapeId: row.scrapeId,
        ...end,
        refusals: host.egress.refusals,
        ...cause,
      },
      "interact session ended",
    );
    return { durationMs, creditsBilled: claimed ? credits : undefined };
  }
}
