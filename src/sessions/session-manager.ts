import type { Duplex } from "node:stream";
import type { BrowserAgent } from "../agent/browser-agent.ts";
import type { WebSocket } from "ws";
import { v7 as uuidv7 } from "uuid";
import type { Credits } from "../billing/credits.ts";
import type { Release } from "../billing/release.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ProfileVault } from "../profiles/profile-vault.ts";
import type { SessionHostHandle } from "../sandbox/host-launcher.ts";
import type { SessionRow, SessionStatus, Store } from "../store/store.ts";
import type { BrowserCreate, BrowserExecute } from "./browser-request.ts";
import type { InteractRequest } from "./interact-request.ts";
import type { LiveSession } from "./live-session.ts";
import {
  urlsOf,
  type BrowserCreated,
  type BrowserExecuted,
  type BrowserList,
  type InteractReply,
  type StopReply,
} from "./session-replies.ts";
import { browserCreated, browserExecuted, browserListEntry } from "./browser-replies.ts";
import { SessionAccess } from "./session-access.ts";
import { ActivityFlusher } from "./activity-flusher.ts";
import { SessionEnder } from "./session-ender.ts";
import { SessionHolds } from "./session-holds.ts";
import { RunningSessions, sessionKey } from "./running-sessions.ts";
import { SessionStarter } from "./session-starter.ts";
import type { SessionStarts } from "./session-starts.ts";
import { SessionCalls } from "./session-calls.ts";
import { buildReplayContext } from "./replay-context.ts";
import { SessionProfiles } from "./session-profiles.ts";
import { SessionElsewhere, SessionOpener, type SessionPlan } from "./session-opener.ts";
import type { NodeIdentity } from "../store/node-identity.ts";

export interface SessionLimits {
  MAX_CONCURRENT_SESSIONS: number;
  SESSION_TTL_SECONDS: number;
  SESSION_IDLE_SECONDS: number;
  PROMPT_DEADLINE_SECONDS: number;
  /** How often a session's last activity reaches the store (peers bill a dead node's by it). */
  NODE_HEARTBEAT_MS: number;
}

/** Where session hosts come from: the warm pool in the server. */
export interface HostSource {
  take(): Promise<SessionHostHandle>;
  close(): Promise<void>;
}

export interface SessionManagerOptions {
  limits: SessionLimits;
  store: Store;
  profiles: ProfileVault;
  hosts: HostSource;
  /** The team's credits, checked against a session's estimate before it starts. */
  credits: Credits;
  /** Sessions one team may run at once; undefined when teams are not limited (AUTH=none). */
  teamConcurrency: number | undefined;
  /** The prompt path; absent when no LLM provider is configured (prompts answer 503). */
  agent?: BrowserAgent | undefined;
  logger: Logger;
  /** This node, named on each session's row so that a peer can end its sessions if it dies. */
  node: NodeIdentity;
  /** Starts under way, which the scrape pool's warm contexts wait for (session-starts.ts). */
  starts: SessionStarts;
}

/**
 * Interact sessions, one per scrape, and standalone `/v2/browser` sessions: the checks of spec
 * §2.3 in order, then the work handed to its parts: starting (session-starter), calls
 * (session-calls), tokens and viewers (session-access) and the one way a session ends
 * (session-ender). Calls on a session that ended get 410.
 */
export class SessionManager {
  readonly #options: SessionManagerOptions;
  readonly #sessions: RunningSessions;
  readonly #profiles: SessionProfiles;
  readonly #access: SessionAccess;
  readonly #holds: SessionHolds;
  readonly #ender: SessionEnder;
  readonly #starter: SessionStarter;
  readonly #calls: SessionCalls;
  readonly #activity: ActivityFlusher;

  constructor(options: SessionManagerOptions) {
    this.#options = options;
    this.#profiles = new SessionProfiles(options.profiles, options.logger);
    this.#holds = new SessionHolds(options.store, options.teamConcurrency, options.node);
    this.#access = new SessionAccess(options.logger);
    this.#sessions = new RunningSessions(this.#access);
    this.#ender = new SessionEnder({
      store: options.store,
      profiles: this.#profiles,
      holds: this.#holds,
      logger: options.logger,
      forget: (session) => this.#sessions.forget(session),
    });
    this.#activity = new ActivityFlusher(
      options.store,
      options.logger,
      options.limits.NODE_HEARTBEAT_MS,
    );
    this.#calls = new SessionCalls({
      activity: this.#activity,
      profiles: this.#profiles,
      agent: options.agent,
      promptDeadlineSeconds: options.limits.PROMPT_DEADLINE_SECONDS,
      logger: options.logger,
      end: (session, reason) => this.#ender.end(session, reason),
    });
    const opener = new SessionOpener({
      store: options.store,
      profiles: this.#profiles,
      hosts: options.hosts,
      logger: options.logger,
      queueCleanup: (work) => this.#ender.queueCleanup(work),
      node: options.node,
    });
    this.#starter = new SessionStarter({
      maxSessions: options.limits.MAX_CONCURRENT_SESSIONS,
      sessions: this.#sessions,
      holds: this.#holds,
      opener,
      starts: options.starts,
      end: (session, reason) => this.#ender.end(session, reason),
    });
  }

  /** Sessions running or being created. */
  get activeCount(): number {
    return this.#sessions.count;
  }

  /** Runs one interact call, creating the scrape's session first when it has none. */
  async interact(
    scrapeId: string,
    teamId: string,
    request: InteractRequest,
    publicBaseUrl: string,
  ): Promise<InteractReply> {
    const running = this.#runningHere(scrapeId, teamId);
    if (running && request.code === undefined) this.#calls.agentOrRefuse();
    const session = running ?? (await this.#openFor(scrapeId, teamId, request));
    const reply =
      request.code === undefined
        ? await this.#calls.prompt(session, request.prompt ?? "", request.timeout)
        : await this.#calls.code(session, request.language, request.code, request.timeout);
    return { ...reply, ...urlsOf(session, publicBaseUrl) };
  }

  /**
   * A DevTools connection for the session `token` names: a raw stream to its browser and that
   * browser's endpoint path. While it is open the session does not go idle. 404 for a token of
   * no live session (made up, or of a session that ended).
   */
  async openCdp(token: string): Promise<{ socket: Duplex; browserPath: string }> {
    const session = this.#access.live(token, "cdp");
    const opened = await session.host.openCdp();
    const release = session.hold();
    opened.socket.once("close", release);
    return opened;
  }

  /** A session by id for `teamId`: 404, 403, or 410 once it has ended. */
  async #ownSession(id: string, teamId: string): Promise<LiveSession> {
    const row = await this.#options.store.getSession(id);
    if (!row) throw new AppError("SESSION_NOT_FOUND");
    if (row.teamId !== teamId) throw new AppError("FORBIDDEN");
    const live = this.#sessions.running(sessionKey(row));
    if (!live || live.row.id !== id) throw new AppError("SESSION_DESTROYED");
    return live;
  }

  /** DELETE: ends the scrape's session and bills it, or says it had ended already. */
  async stop(scrapeId: string, teamId: string): Promise<StopReply> {
    const row = await this.#options.store.getSessionByScrape(scrapeId);
    if (!row) throw new AppError("SESSION_NOT_FOUND");
    if (row.teamId !== teamId) throw new AppError("FORBIDDEN");
    return this.#stopRow(row);
  }

  async #stopRow(row: SessionRow): Promise<StopReply> {
    if (this.#runsElsewhere(row)) throw new SessionElsewhere(row);
    const live = this.#sessions.running(sessionKey(row));
    const outcome =
      live?.row.id === row.id
        ? await this.#ender.end(live, "deleted")
        : await this.#ender.endStale(row);
    return {
      success: true,
      sessionDurationMs: outcome.durationMs,
      ...(outcome.creditsBilled === undefined ? {} : { creditsBilled: outcome.creditsBilled }),
      cleanupQueued: true,
    };
  }

  /** Whether `token` opens a live view of a running session, and an interactive one. */
  viewerAccess(token: string): { interactive: boolean } | undefined {
    return this.#access.viewerAccess(token);
  }

  /** A viewer's socket joins the session its token names (404 when there is none). */
  attachViewer(token: string, socket: WebSocket): void {
    this.#access.attachViewer(token, socket);
  }

  /** `POST /v2/browser`: a standalone session on a blank page, ready for `execute`. */
  async createBrowser(
    teamId: string,
    request: BrowserCreate,
    publicBaseUrl: string,
  ): Promise<BrowserCreated> {
    const hold = await this.#options.credits.holdForSession(teamId, request.ttl);
    const session = await this.#starter.start(hold, {
      id: uuidv7(),
      scrapeId: null,
      teamId,
      context: { url: "about:blank", waitForMs: 0, actions: [] },
      profile: request.profile,
      ttlMs: request.ttl * 1000,
      idleMs: request.activityTtl * 1000,
    });
    return browserCreated(session, publicBaseUrl, request.ttl);
  }

  /** `POST /v2/browser/{id}/execute`: one call on a standalone (or any) session of the team. */
  async executeBrowser(
    id: string,
    teamId: string,
    request: BrowserExecute,
  ): Promise<BrowserExecuted> {
    const session = await this.#ownSession(id, teamId);
    const r = await this.#calls.code(session, request.language, request.code, request.timeout);
    return browserExecuted(r);
  }

  /** `DELETE /v2/browser/{id}`. */
  async stopBrowser(id: string, teamId: string): Promise<StopReply> {
    const row = await this.#options.store.getSession(id);
    if (!row) throw new AppError("SESSION_NOT_FOUND");
    if (row.teamId !== teamId) throw new AppError("FORBIDDEN");
    return this.#stopRow(row);
  }

  /** `GET /v2/browser`: the team's sessions, newest first. */
  async listBrowsers(
    teamId: string,
    publicBaseUrl: string,
    status?: SessionStatus,
  ): Promise<BrowserList> {
    const rows = await this.#options.store.listSessions(teamId, status);
    return {
      success: true,
      sessions: rows.map((row) => {
        const live = row.status === "active" ? this.#sessions.running(sessionKey(row)) : undefined;
        return browserListEntry(row, live, publicBaseUrl);
      }),
    };
  }

  /** Resolves once no session runs here, or after `boundMs`, whichever comes first. */
  async whenIdle(boundMs: number): Promise<void> {
    const until = Date.now() + boundMs;
    while (this.activeCount > 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, until - Date.now())));
    }
  }

  /** Ends every session (reason "shutdown") and stops their hosts and the warm pool. */
  async close(): Promise<void> {
    await this.#sessions.creationsSettled();
    await Promise.all(this.#sessions.all().map((s) => this.#ender.end(s, "shutdown")));
    await this.#options.hosts.close();
    await this.#ender.drain();
    await this.#activity.close();
  }

  /**
   * This node was declared dead while its sessions ran (a pause, a lost network): a peer has
   * billed them to their last activity and freed their slots, holds and profile leases. Stops
   * them all, with no charge and no profile save, and forgets their tokens; calls then get 410.
   */
  async fence(): Promise<number> {
    await this.#sessions.creationsSettled();
    const sessions = this.#sessions.all();
    for (const session of sessions) this.#ender.fence(session);
    return sessions.length;
  }

  /**
   * The scrape's session when it runs here, without a store read: it was made for this scrape
   * and team, so the checks of its first call hold. Another team's call gets 403 as before.
   */
  #runningHere(scrapeId: string, teamId: string): LiveSession | undefined {
    const live = this.#sessions.running(scrapeId);
    if (!live || live.endReason) return undefined;
    if (live.row.teamId !== teamId) throw new AppError("FORBIDDEN");
    return live;
  }

  /** A first call (or one for a session that ended or runs elsewhere): the checks, in order. */
  async #openFor(scrapeId: string, teamId: string, request: InteractRequest) {
    const plan = await this.#planFor(scrapeId, teamId);
    if (request.code === undefined) this.#calls.agentOrRefuse();
    return this.#sessionFor(scrapeId, teamId, plan);
  }

  /** Spec §2.3 steps 3–5: the scrape (404, 403), its replay context (409) and profile. */
  async #planFor(scrapeId: string, teamId: string): Promise<SessionPlan> {
    const scrape = await this.#options.store.getScrape(scrapeId);
    if (!scrape) throw new AppError("JOB_NOT_FOUND");
    if (scrape.teamId !== teamId) throw new AppError("FORBIDDEN");
    const verdict = buildReplayContext(scrape);
    if (!verdict.ok) throw new AppError("REPLAY_CONTEXT_UNAVAILABLE", verdict.message);
    return { context: verdict.context, profile: verdict.profile };
  }

  /** Spec §2.3 steps 6–9: the scrape's live session, a new one, or 403 / 410 from its row. */
  async #sessionFor(scrapeId: string, teamId: string, plan: SessionPlan): Promise<LiveSession> {
    const row = await this.#options.store.getSessionByScrape(scrapeId);
    // Checked after each await, so two first calls at once share one creation.
    const existing = this.#sessions.runningOrCreating(scrapeId);
    if (existing) return existing;
    if (row) {
      if (row.teamId !== teamId) throw new AppError("FORBIDDEN");
      // A peer started it after this call was routed here: the route forwards the call there.
      if (this.#runsElsewhere(row)) throw new SessionElsewhere(row);
      throw new AppError("SESSION_DESTROYED");
    }
    const ttl = this.#options.limits.SESSION_TTL_SECONDS;
    const hold = await this.#options.credits.holdForSession(teamId, ttl);
    const started = this.#sessions.runningOrCreating(scrapeId);
    if (!started) return this.#create(scrapeId, teamId, plan, hold);
    hold();
    return started;
  }

  /** A session still active on another node: its calls go there (the routes forward them). */
  #runsElsewhere(row: SessionRow): boolean {
    const node = row.nodeId;
    return row.status === "active" && node !== null && node !== this.#options.node.id;
  }

  /** A scrape's session, with the server's TTL and idle time. */
  #create(
    scrapeId: string,
    teamId: string,
    plan: SessionPlan,
    hold: Release,
  ): Promise<LiveSession> {
    const { SESSION_TTL_SECONDS, SESSION_IDLE_SECONDS } = this.#options.limits;
    return this.#starter.start(hold, {
      id: uuidv7(),
      scrapeId,
      teamId,
      context: plan.context,
      profile: plan.profile,
      ttlMs: SESSION_TTL_SECONDS * 1000,
      idleMs: SESSION_IDLE_SECONDS * 1000,
    });
  }
}
