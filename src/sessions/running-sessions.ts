import type { SessionRow } from "../store/store.ts";
import type { LiveSession } from "./live-session.ts";
import type { SessionAccess } from "./session-access.ts";

/** A session's key here: its scrape's id, or its own for a standalone session. */
export function sessionKey(row: SessionRow): string {
  return row.scrapeId ?? row.id;
}

/**
 * The sessions this node runs, by key, with their access tokens, and the ones being created:
 * both count toward the server's limit, and a second first call for a scrape joins its creation.
 */
export class RunningSessions {
  readonly #access: SessionAccess;
  readonly #live = new Map<string, LiveSession>();
  readonly #creating = new Map<string, Promise<LiveSession>>();

  constructor(access: SessionAccess) {
    this.#access = access;
  }

  /** Sessions running or being created. */
  get count(): number {
    return this.#live.size + this.#creating.size;
  }

  running(key: string): LiveSession | undefined {
    return this.#live.get(key);
  }

  /** The session running for `key`, or the creation under way for it. */
  runningOrCreating(key: string): LiveSession | Promise<LiveSession> | undefined {
    return this.#live.get(key) ?? this.#creating.get(key);
  }

  all(): LiveSession[] {
    return [...this.#live.values()];
  }

  /** Resolves once the creations under way have settled, each either way. */
  async creationsSettled(): Promise<void> {
    await Promise.allSettled(this.#creating.values());
  }

  /** Counts `creation` under `key` until it settles; returns what callers should await. */
  addCreation(key: string, creation: Promise<LiveSession>): Promise<LiveSession> {
    const creating = creation.finally(() => this.#creating.delete(key));
    this.#creating.set(key, creating);
    return creating;
  }

  /** A session that opened: findable by its key and by its tokens. */
  add(session: LiveSession): void {
    this.#live.set(sessionKey(session.row), session);
    this.#access.add(session);
  }

  /** Drops an ending session and forgets its tokens; calls then get 410 or 404. */
  forget(session: LiveSession): void {
    const key = sessionKey(session.row);
    if (this.#live.get(key) === session) this.#live.delete(key);
    this.#access.remove(session);
  }
}
