import type { WebSocket } from "ws";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { LiveSession } from "./live-session.ts";
import { LiveView } from "./live-view.ts";
import { accessKey, type TokenKind } from "./session-replies.ts";

const KINDS = ["cdp", "view", "control"] as const;

/**
 * The tokens in a running session's URLs (CDP, read-only view, interactive view) and the live
 * views open on it. A token stops working the moment its session is removed.
 */
export class SessionAccess {
  readonly #logger: Logger;
  readonly #byToken = new Map<string, { session: LiveSession; kind: TokenKind }>();
  readonly #views = new Map<LiveSession, LiveView>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  add(session: LiveSession): void {
    for (const kind of KINDS) this.#byToken.set(accessKey(session, kind), { session, kind });
  }

  /** Forgets the session's tokens and closes its viewers. */
  remove(session: LiveSession): void {
    for (const kind of KINDS) this.#byToken.delete(accessKey(session, kind));
    this.#views.get(session)?.end();
    this.#views.delete(session);
  }

  /** The running session `token` opens as `kind`; 404 for any other token. */
  live(token: string, kind: TokenKind): LiveSession {
    const entry = this.#byToken.get(token);
    if (!entry || entry.kind !== kind || entry.session.endReason) {
      throw new AppError("SESSION_NOT_FOUND");
    }
    return entry.session;
  }

  viewerAccess(token: string): { interactive: boolean } | undefined {
    const entry = this.#byToken.get(token);
    if (!entry || entry.kind === "cdp" || entry.session.endReason) return undefined;
    return { interactive: entry.kind === "control" };
  }

  attachViewer(token: string, socket: WebSocket): void {
    const access = this.viewerAccess(token);
    const entry = this.#byToken.get(token);
    if (!access || !entry) throw new AppError("SESSION_NOT_FOUND");
    const { session } = entry;
    let view = this.#views.get(session);
    if (!view) {
      view = new LiveView(session.host, () => session.hold(), this.#logger);
      this.#views.set(session, view);
    }
    view.add(socket, access.interactive);
  }
}
