import type { Release } from "../billing/release.ts";
import { concurrencyLimitMessage } from "../billing/team-slots.ts";
import { AppError } from "../errors.ts";
import type { SessionEndReason } from "../store/store.ts";
import { LiveSession } from "./live-session.ts";
import type { RunningSessions } from "./running-sessions.ts";
import type { SessionHolds } from "./session-holds.ts";
import type { NewSession, OpenedSession, SessionOpener } from "./session-opener.ts";
import type { SessionStarts } from "./session-starts.ts";

export interface SessionStarterDeps {
  /** Sessions this server runs at once, counting the ones being created (429 beyond). */
  maxSessions: number;
  sessions: RunningSessions;
  holds: SessionHolds;
  opener: SessionOpener;
  /** Told of each start until its session is open (or fails), for work that waits for them. */
  starts: SessionStarts;
  /** Ends a session whose TTL or idle time ran out. */
  end(session: LiveSession, reason: SessionEndReason): Promise<unknown>;
}

/**
 * Starts a session within the server's and the team's limits: it counts as running while the
 * opener makes it, its holds go back if that fails, and once open its clocks and tokens start.
 */
export class SessionStarter {
  readonly #deps: SessionStarterDeps;

  constructor(deps: SessionStarterDeps) {
    this.#deps = deps;
  }

  /**
   * Opens `spec`; the creation counts as a session until it is one. `hold` (the session's
   * credits) is given back once its end is charged, or at once when it cannot start.
   */
  start(hold: Release, spec: NewSession): Promise<LiveSession> {
    const { maxSessions, sessions, holds } = this.#deps;
    if (sessions.count >= maxSessions) {
      hold();
      return Promise.reject(new AppError("SESSION_LIMIT", concurrencyLimitMessage(maxSessions)));
    }
    holds.keepCredits(spec.id, hold);
    const endStart = this.#deps.starts.begin();
    // Added before the first await, so that a second first call on this scrape joins this one.
    const creation = this.#open(spec)
      .catch((err: unknown) => {
        holds.releaseTeamSlot(spec.id);
        holds.releaseCredits(spec.id);
        throw err;
      })
      .finally(endStart);
    return sessions.addCreation(spec.scrapeId ?? spec.id, creation);
  }

  /** Opens the session and starts its clocks and tokens. */
  async #open(spec: NewSession): Promise<LiveSession> {
    const opened = await this.#deps.opener.open(spec, () => this.#deps.holds.takeTeamSlot(spec));
    return this.#track(opened, spec);
  }

  #track({ row, host, profile }: OpenedSession, spec: NewSession): LiveSession {
    const session = new LiveSession({
      row,
      host,
      profile,
      ttlMs: spec.ttlMs,
      idleMs: spec.idleMs,
      onExpire: (expired, reason) => void this.#deps.end(expired, reason),
    });
    this.#deps.sessions.add(session);
    return session;
  }
}
