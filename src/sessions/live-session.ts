import { randomBytes } from "node:crypto";
import { AppError } from "../errors.ts";
import type { SessionHostHandle } from "../sandbox/host-launcher.ts";
import type { SessionEndReason, SessionRow } from "../store/store.ts";

/** The ways a session ends by itself, as opposed to a DELETE or a shutdown. */
export type ExpiryReason = Extract<SessionEndReason, "ttl" | "idle" | "crashed">;

export interface LiveSessionOptions {
  row: SessionRow;
  host: SessionHostHandle;
  /** The profile it loaded; `writer` when its state is saved back at the end. */
  profile?: { name: string; writer: boolean } | undefined;
  ttlMs: number;
  idleMs: number;
  /** Told once when a timer fires or the host dies; the owner then ends the session. */
  onExpire: (session: LiveSession, reason: ExpiryReason) => void;
}

/**
 * One running session: its row, its host, its timers, and its queue of calls. Calls run one at a
 * time in the order they came; the idle clock stops while any is queued or running.
 */
export class LiveSession {
  readonly row: SessionRow;
  readonly host: SessionHostHandle;
  readonly profile: { name: string; writer: boolean } | undefined;
  /** Unguessable, and dying with the session: its `cdpUrl`, `liveViewUrl` and interactive one. */
  readonly tokens = { cdp: newToken(), view: newToken(), control: newToken() };
  /** A writer's browser state after its last call: what is saved if its host dies. */
  lastState: unknown;
  readonly #options: LiveSessionOptions;
  #queue: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #ttlTimer: NodeJS.Timeout;
  #idleTimer: NodeJS.Timeout | undefined;
  #endReason: SessionEndReason | undefined;

  constructor(options: LiveSessionOptions) {
    this.row = options.row;
    this.host = options.host;
    this.profile = options.profile;
    this.#options = options;
    this.#ttlTimer = setTimeout(() => this.#expire("ttl"), options.ttlMs);
    this.#armIdle();
    void options.host.channelClosed.then(() => this.#expire("crashed"));
  }

  /** Why the session ended, once it has. */
  get endReason(): SessionEndReason | undefined {
    return this.#endReason;
  }

  /** Runs `work` after the calls before it; a session that ends meanwhile answers 410. */
  run<T>(work: (host: SessionHostHandle) => Promise<T>): Promise<T> {
    if (this.#endReason) return Promise.reject(new AppError("SESSION_DESTROYED"));
    this.#pending++;
    clearTimeout(this.#idleTimer);
    const job = this.#queue.then(() => {
      if (this.#endReason) throw new AppError("SESSION_DESTROYED");
      return work(this.host);
    });
    this.#queue = job.catch(() => {});
    return job.finally(() => {
      this.#pending--;
      if (this.#pending === 0) this.#armIdle();
    });
  }

  /** Activity that is not a call (a DevTools connection): the idle clock stops until `release`. */
  hold(): () => void {
    this.#pending++;
    clearTimeout(this.#idleTimer);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#pending === 0) this.#armIdle();
    };
  }

  /** Marks the session ended and stops its timers; false when it had ended already. */
  markEnded(reason: SessionEndReason): boolean {
    if (this.#endReason) return false;
    this.#endReason = reason;
    clearTimeout(this.#ttlTimer);
    clearTimeout(this.#idleTimer);
    return true;
  }

  #armIdle(): void {
    if (this.#endReason) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.#expire("idle"), this.#options.idleMs);
  }

  #expire(reason: ExpiryReason): void {
    if (!this.#endReason) this.#options.onExpire(this, reason);
  }
}

function newToken(): string {
  return randomBytes(24).toString("base64url");
}
