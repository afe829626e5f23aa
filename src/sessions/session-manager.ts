import type { Duplex } from "node:stream";
import type { BrowserAgent } from "../agent/browser-agent.ts";
import type { WebSocket } from "ws";
import { v7 as uuidv7 } from "uuid";
import type { Credits } from "../billing/credits.ts";
import type { Release } from "../billing/release.ts";
import { sessionCredits } from "../billing/session-credits.ts";
import { concurrencyLimitMessage, StoreSlots } from "../billing/team-slots.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ProfileVault } from "../profiles/profile-vault.ts";
import type { SessionHostHandle } from "../sandbox/host-launcher.ts";
import type { SessionEndReason, SessionRow, SessionStatus, Store } from "../store/store.ts";
import type { BrowserCreate, BrowserExecute } from "./browser-request.ts";
import type { InteractRequest } from "./interact-request.ts";
import { LiveSession } from "./live-session.ts";
import {
  urlsOf,
  type BrowserCreated,
  type BrowserExecuted,
  type BrowserList,
  type InteractReply,
  type StopReply,
} from "./session-replies.ts";
import { SessionAccess } from "./session-access.ts";
import { ActivityFlusher } from "./activity-flusher.ts";
import { SessionCalls } from "./session-calls.ts";
import { buildReplayContext } from "./replay-context.ts";
import { SessionProfiles, type SessionProfile } from "./session-profiles.ts";
import {
  SessionElsewhere,
  SessionOpener,
  type NewSession,
  type SessionPlan,
} from "./session-opener.ts";
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
}

/** A session's team slot outlives its TTL by this much, should its node die holding it. */
const SLOT_MARGIN_MS = 5 * 60 * 1000;

interface EndOutcome {
  durationMs: number;
  creditsBilled: number | undefined;
}

/**
 * Interact sessions, one per scrape: the checks of spec §2.3 in order, creation from a warm host
 * and a replay, calls one at a time, and the one way every session ends (DELETE, TTL, idle, a
 * crash or a shutdown): stop the host, bill, mark the row destroyed. Later calls get 410.
 */
export class SessionManager {
  readonly #options: SessionManagerOptions;
  readonly #logger: Logger;
  /** Running sessions by scrape id; their number is what the limit counts, with `#creating`. */
  readonly #live = new Map<string, LiveSession>();
  readonly #creating = new Map<string, Promise<LiveSession>>();
  readonly #ending = new Map<LiveSession, Promise<EndOutcome>>();
  readonly #cleanups = new Set<Promise<void>>();
  readonly #profiles: SessionProfiles;
  readonly #access: SessionAccess;
  readonly #teamSlots: StoreSlots;
  readonly #opener: SessionOpener;
  readonly #calls: SessionCalls;
  readonly #activity: ActivityFlusher;
  /** Gives a session's team slot back; taken when its creation starts, given back at its end. */
  readonly #teamReleases = new Map<string, Release>();
  /** Gives a session's credit hold back, once its end is charged. */
  readonly #creditHolds = new Map<string, Release>();

  constructor(options: SessionManagerOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#profiles = new SessionProfiles(options.profiles, options.logger);
    this.#teamSlots = new StoreSlots(options.store, {
      kind: "session",
      limit: options.teamConcurrency,
      node: options.node,
    });
    this.#access = new SessionAccess(options.logger);
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
      end: (session, reason) => this.#end(session, reason),
    });
    this.#opener = new SessionOpener({
      store: options.store,
      profiles: this.#profiles,
      hosts: options.hosts,
      logger: options.logger,
      queueCleanup: (work) => this.#queueCleanup(work),
      node: options.node,
    });
  }

  /** Sessions running or being created. */
  get activeCount(): number {
    return this.#live.size + this.#creating.size;
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
    const live = this.#live.get(row.scrapeId ?? row.id);
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
    const live = this.#live.get(row.scrapeId ?? row.id);
    const outcome =
      live?.row.id === row.id ? await this.#end(live, "deleted") : await this.#endStale(row);
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
    const session = await this.#startCreating(hold, {
      id: uuidv7(),
      scrapeId: null,
      teamId,
      context: { url: "about:blank", waitForMs: 0, actions: [] },
      profile: request.profile,
      ttlMs: request.ttl * 1000,
      idleMs: request.activityTtl * 1000,
    });
    return {
      success: true,
      id: session.row.id,
      ...urlsOf(session, publicBaseUrl),
      expiresAt: new Date(session.row.createdAt + request.ttl * 1000).toISOString(),
    };
  }

  /** `POST /v2/browser/{id}/execute`: one call on a standalone (or any) session of the team. */
  async executeBrowser(
    id: string,
    teamId: string,
    request: BrowserExecute,
  ): Promise<BrowserExecuted> {
    const session = await this.#ownSession(id, teamId);
    const r = await this.#calls.code(session, request.language, request.code, request.timeout);
    const reply = {
      success: r.success,
      stdout: r.stdout,
      result: r.result,
      stderr: r.stderr,
      exitCode: r.exitCode,
      killed: r.killed,
    };
    return r.error === undefined ? reply : { ...reply, error: r.error };
  }

  /** `DELETE /v2/browser/{id}`. */
  async stopBrowser(id: string, teamId: string): Promise<StopReply> {
    const row = await this.#options.store.getSession(id);
    if (!row) throw new AppError("SESSION_NOT_FOUND");
    if (row.teamId !== teamId) throw new AppError("FORBIDDEN");
    return this.#stopRow(row);
  }

  /**
   * `GET /v2/browser`: the team's sessions, newest first. A live session lists its URLs; an ended
   * one lists empty strings, as its tokens died with it (the Python SDK wants strings).
   */
  async listBrowsers(
    teamId: string,
    publicBaseUrl: string,
    status?: SessionStatus,
  ): Promise<BrowserList> {
    const rows = await this.#options.store.listSessions(teamId, status);
    const noUrls = { cdpUrl: "", liveViewUrl: "", interactiveLiveViewUrl: "" };
    return {
      success: true,
      sessions: rows.map((row) => {
        const live = row.status === "active" ? this.#live.get(row.scrapeId ?? row.id) : undefined;
        return {
          id: row.id,
          status: row.status,
          ...(live ? urlsOf(live, publicBaseUrl) : noUrls),
          streamWebView: true,
          createdAt: new Date(row.createdAt).toISOString(),
          // A live session's own row is ahead of the store's, which is written on a timer.
          lastActivity: new Date((live?.row ?? row).lastActivityAt).toISOString(),
        };
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
    await Promise.allSettled(this.#creating.values());
    await Promise.all([...this.#live.values()].map((s) => this.#end(s, "shutdown")));
    await this.#options.hosts.close();
    await Promise.all(this.#cleanups);
    await this.#activity.close();
  }

  /**
   * This node was declared dead while its sessions ran (a pause, a lost network): a peer has
   * billed them to their last activity and freed their slots, holds and profile leases. Stops
   * them all, with no charge and no profile save, and forgets their tokens; calls then get 410.
   */
  async fence(): Promise<number> {
    await Promise.allSettled(this.#creating.values());
    const sessions = [...this.#live.values()];
    for (const session of sessions) {
      session.markEnded("node-lost");
      this.#ending.set(session, Promise.resolve({ durationMs: 0, creditsBilled: undefined }));
      this.#live.delete(session.row.scrapeId ?? session.row.id);
      this.#access.remove(session);
      this.#release(this.#teamReleases, session.row.id);
      this.#release(this.#creditHolds, session.row.id);
      this.#queueCleanup(session.host.stop());
    }
    return sessions.length;
  }

  /**
   * The scrape's session when it runs here, without a store read: it was made for this scrape
   * and team, so the checks of its first call hold. Another team's call gets 403 as before.
   */
  #runningHere(scrapeId: string, teamId: string): LiveSession | undefined {
    const live = this.#live.get(scrapeId);
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
    const existing = this.#live.get(scrapeId) ?? this.#creating.get(scrapeId);
    if (existing) return existing;
    if (row) {
      if (row.teamId !== teamId) throw new AppError("FORBIDDEN");
      // A peer started it after this call was routed here: the route forwards the call there.
      if (this.#runsElsewhere(row)) throw new SessionElsewhere(row);
      throw new AppError("SESSION_DESTROYED");
    }
    const ttl = this.#options.limits.SESSION_TTL_SECONDS;
    const hold = await this.#options.credits.holdForSession(teamId, ttl);
    const started = this.#live.get(scrapeId) ?? this.#creating.get(scrapeId);
    if (!started) return this.#create(scrapeId, teamId, plan, hold);
    hold();
    return started;
  }

  /** A session still active on another node: its calls go there (the routes forward them). */
  #runsElsewhere(row: SessionRow): boolean {
    const node = row.nodeId;
    return row.status === "active" && node !== null && node !== this.#options.node.id;
  }

  /**
   * Opens `spec` within the server's and the team's limits; the creation counts as a session
   * until it is one. `hold` (the session's credits) is given back once its end is charged.
   */
  #startCreating(hold: Release, spec: NewSession): Promise<LiveSession> {
    const limit = this.#options.limits.MAX_CONCURRENT_SESSIONS;
    if (this.activeCount >= limit) {
      hold();
      return Promise.reject(new AppError("SESSION_LIMIT", concurrencyLimitMessage(limit)));
    }
    this.#creditHolds.set(spec.id, hold);
    const key = spec.scrapeId ?? spec.id;
    // Set before the first await, so that a second first call on this scrape joins this one.
    const creating = this.#open(spec)
      .catch((err: unknown) => {
        this.#release(this.#teamReleases, spec.id);
        this.#release(this.#creditHolds, spec.id);
        throw err;
      })
      .finally(() => this.#creating.delete(key));
    this.#creating.set(key, creating);
    return creating;
  }

  /** The team's session slot, a store row so that the limit holds on every node (429 if none). */
  async #takeTeamSlot(spec: NewSession): Promise<void> {
    const holdMs = spec.ttlMs + SLOT_MARGIN_MS;
    this.#teamReleases.set(spec.id, await this.#teamSlots.take(spec.teamId, spec.id, holdMs));
  }

  #release(releases: Map<string, Release>, sessionId: string): void {
    releases.get(sessionId)?.();
    releases.delete(sessionId);
  }

  #create(
    scrapeId: string,
    teamId: string,
    plan: SessionPlan,
    hold: Release,
  ): Promise<LiveSession> {
    const { SESSION_TTL_SECONDS, SESSION_IDLE_SECONDS } = this.#options.limits;
    return this.#startCreating(hold, {
      id: uuidv7(),
      scrapeId,
      teamId,
      context: plan.context,
      profile: plan.profile,
      ttlMs: SESSION_TTL_SECONDS * 1000,
      idleMs: SESSION_IDLE_SECONDS * 1000,
    });
  }

  /** Opens the session and starts its clocks and tokens. */
  async #open(spec: NewSession): Promise<LiveSession> {
    const opened = await this.#opener.open(spec, () => this.#takeTeamSlot(spec));
    return this.#track(opened.row, opened.host, spec, opened.profile);
  }

  #track(
    row: SessionRow,
    host: SessionHostHandle,
    spec: NewSession,
    profile: SessionProfile | undefined,
  ): LiveSession {
    const session = new LiveSession({
      row,
      host,
      profile,
      ttlMs: spec.ttlMs,
      idleMs: spec.idleMs,
      onExpire: (expired, reason) => void this.#end(expired, reason),
    });
    this.#live.set(row.scrapeId ?? row.id, session);
    this.#access.add(session);
    return session;
  }

  /** Ends a session once, however many callers ask; the host stops in the background. */
  #end(session: LiveSession, reason: SessionEndReason): Promise<EndOutcome> {
    let ending = this.#ending.get(session);
    if (!ending) {
      session.markEnded(reason);
      ending = this.#finish(session, session.endReason ?? reason);
      this.#ending.set(session, ending);
    }
    return ending;
  }

  async #finish(session: LiveSession, reason: SessionEndReason): Promise<EndOutcome> {
    const { row, host } = session;
    if (this.#live.get(row.scrapeId ?? row.id) === session)
      this.#live.delete(row.scrapeId ?? row.id);
    this.#access.remove(session);
    this.#release(this.#teamReleases, row.id);
    await this.#profiles.close(row.teamId, session.profile, row.id, host, session.lastState);
    this.#queueCleanup(host.stop());
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
    const claimed = await this.#options.store
      .claimSessionEnded(row.id, end)
      .finally(() => this.#release(this.#creditHolds, row.id));
    this.#logger.info(
      { sessionId: row.id, scrapeId: row.scrapeId, ...end, refusals: host.egress.refusals },
      "interact session ended",
    );
    return { durationMs, creditsBilled: claimed ? credits : undefined };
  }

  /** A row this server does not run (its host is gone): end it as of its last activity. */
  async #endStale(row: SessionRow): Promise<EndOutcome> {
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
    const claimed = await this.#options.store.claimSessionEnded(row.id, end);
    return { durationMs, creditsBilled: claimed ? credits : undefined };
  }

  #queueCleanup(work: Promise<void>): void {
    const tracked = work
      .catch((err: unknown) => this.#logger.error({ err }, "stopping a session host failed"))
      .finally(() => this.#cleanups.delete(tracked));
    this.#cleanups.add(tracked);
  }
}
