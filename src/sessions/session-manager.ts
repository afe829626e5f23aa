import type { Duplex } from "node:stream";
import type { BrowserAgent } from "../agent/browser-agent.ts";
import type { WebSocket } from "ws";
import { v7 as uuidv7 } from "uuid";
import type { Credits } from "../billing/credits.ts";
import { sessionCredits } from "../billing/session-credits.ts";
import { concurrencyLimitMessage, TeamSlots } from "../billing/team-slots.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ProfileVault } from "../profiles/profile-vault.ts";
import { ChannelError } from "../sandbox/host-channel.ts";
import type { SessionHostHandle } from "../sandbox/host-launcher.ts";
import type { ExecResult } from "../sandbox/session-host-protocol.ts";
import type { SessionEndReason, SessionRow, SessionStatus, Store } from "../store/store.ts";
import type { BrowserCreate, BrowserExecute } from "./browser-request.ts";
import type { InteractRequest } from "./interact-request.ts";
import { LiveSession } from "./live-session.ts";
import { LiveView } from "./live-view.ts";
import { buildReplayContext, type ProfileUse, type ReplayContext } from "./replay-context.ts";
import { SessionProfiles, type SessionProfile } from "./session-profiles.ts";

export interface SessionLimits {
  MAX_CONCURRENT_SESSIONS: number;
  SESSION_TTL_SECONDS: number;
  SESSION_IDLE_SECONDS: number;
  PROMPT_DEADLINE_SECONDS: number;
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
}

/** The reply to an interact call (spec §2.3 step 12); live-view fields wait for their issue. */
export interface InteractReply {
  success: boolean;
  sessionId: string;
  cdpUrl: string | null;
  liveViewUrl: string | null;
  interactiveLiveViewUrl: string | null;
  stdout: string;
  result: string;
  stderr: string;
  exitCode: number;
  killed: boolean;
  error?: string;
  /** The agent's final answer (prompt calls only, when it gave one). */
  output?: string;
}

/** The reply to DELETE (spec §2.7); no `creditsBilled` when the session had ended already. */
export interface StopReply {
  success: true;
  sessionDurationMs: number;
  creditsBilled?: number;
  cleanupQueued: true;
}

/** What a new session is made from: the scrape's replay and the profile it named. */
interface SessionPlan {
  context: ReplayContext;
  profile: ProfileUse | undefined;
}

/** A session about to start: for a scrape (its replay) or standalone (a blank page). */
interface NewSession extends SessionPlan {
  id: string;
  scrapeId: string | null;
  teamId: string;
  ttlMs: number;
  idleMs: number;
}

/** The reply to `POST /v2/browser` (spec §2.11). */
export interface BrowserCreated {
  success: true;
  id: string;
  cdpUrl: string;
  liveViewUrl: string;
  interactiveLiveViewUrl: string;
  expiresAt: string;
}

/** The reply to `POST /v2/browser/{id}/execute` (spec §2.11): interact's, without the URLs. */
export type BrowserExecuted = Omit<
  InteractReply,
  "sessionId" | "cdpUrl" | "liveViewUrl" | "interactiveLiveViewUrl"
>;

/** The reply to `GET /v2/browser` (spec §2.11). */
export interface BrowserList {
  success: true;
  sessions: {
    id: string;
    status: SessionStatus;
    cdpUrl: null;
    liveViewUrl: null;
    interactiveLiveViewUrl: null;
    streamWebView: boolean;
    createdAt: string;
    lastActivity: string;
  }[];
}

interface EndOutcome {
  durationMs: number;
  creditsBilled: number | undefined;
}

/** Why a call that was running when its session ended did not finish, as its reply says. */
const ENDED_DURING_CALL: Record<SessionEndReason, string> = {
  deleted: "The browser session was stopped (DELETE) while this call ran.",
  ttl: "The browser session reached its time limit while this call ran.",
  idle: "The browser session timed out while this call ran.",
  crashed: "The browser session's host exited while this call ran; the session is destroyed.",
  shutdown: "The server shut down while this call ran; the session is destroyed.",
  "server-restart": "The server restarted while this call ran; the session is destroyed.",
};

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
  readonly #byToken = new Map<string, { session: LiveSession; kind: TokenKind }>();
  readonly #views = new Map<LiveSession, LiveView>();
  readonly #teamSlots: TeamSlots;
  /** Gives a session's team slot back; taken when its creation starts, given back at its end. */
  readonly #teamReleases = new Map<string, () => void>();

  constructor(options: SessionManagerOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#profiles = new SessionProfiles(options.profiles, options.logger);
    this.#teamSlots = new TeamSlots(options.teamConcurrency);
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
    const plan = await this.#planFor(scrapeId, teamId);
    if (request.code === undefined) this.#agentOrRefuse();
    const session = await this.#sessionFor(scrapeId, teamId, plan);
    const reply =
      request.code === undefined
        ? await this.#prompt(session, request.prompt ?? "", request.timeout)
        : await this.#call(session, request.language, request.code, request.timeout);
    return { ...reply, ...urlsOf(session, publicBaseUrl) };
  }

  /**
   * A DevTools connection for the session `token` names: a raw stream to its browser and that
   * browser's endpoint path. While it is open the session does not go idle. 404 for a token of
   * no live session (made up, or of a session that ended).
   */
  async openCdp(token: string): Promise<{ socket: Duplex; browserPath: string }> {
    const session = this.#liveByToken(token, "cdp");
    const opened = await session.host.openCdp();
    const release = session.hold();
    opened.socket.once("close", release);
    return opened;
  }

  /** One call, after the ones before it; it counts as activity. */
  #call(
    session: LiveSession,
    language: string,
    code: string,
    timeoutSeconds: number,
  ): Promise<InteractReply> {
    const timeoutMs = Math.round(timeoutSeconds * 1000);
    return session.run(async (host) => {
      const now = Date.now();
      session.row.lastActivityAt = now;
      await this.#options.store.touchSession(session.row.id, now);
      const result = await this.#guard(session, host, () =>
        host.exec({ language, code, timeoutMs }),
      );
      session.lastState =
        (await this.#profiles.snapshot(session.profile, host)) ?? session.lastState;
      return interactReply(session.row.id, result);
    });
  }

  #agentOrRefuse(): BrowserAgent {
    if (!this.#options.agent) throw new AppError("LLM_NOT_CONFIGURED");
    return this.#options.agent;
  }

  /**
   * A prompt call (spec §2.6): the agent's commands run one by one in the session, and the
   * session is billed at the prompt rate from now on.
   */
  #prompt(session: LiveSession, task: string, timeoutSeconds: number): Promise<InteractReply> {
    return session.run(async (host) => {
      const now = Date.now();
      session.row.lastActivityAt = now;
      session.row.usedPrompt = true;
      await this.#options.store.touchSession(session.row.id, now, { usedPrompt: true });
      const ended = new AbortController();
      const result = await this.#agentOrRefuse().run({
        task,
        stepTimeoutMs: Math.round(timeoutSeconds * 1000),
        deadlineMs: this.#options.limits.PROMPT_DEADLINE_SECONDS * 1000,
        signal: ended.signal,
        logger: this.#logger.child({ sessionId: session.row.id }),
        run: async (args, timeoutMs) => {
          const outcome = await this.#guard(session, host, () =>
            host.browserCommand({ args, timeoutMs }),
          );
          if (session.endReason) ended.abort(outcome.stderr);
          return outcome;
        },
      });
      session.lastState =
        (await this.#profiles.snapshot(session.profile, host)) ?? session.lastState;
      const reply = interactReply(session.row.id, result);
      return result.output === undefined ? reply : { ...reply, output: result.output };
    });
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
    const entry = this.#byToken.get(token);
    if (!entry || entry.kind === "cdp" || entry.session.endReason) return undefined;
    return { interactive: entry.kind === "control" };
  }

  /** A viewer's socket joins the session its token names (404 when there is none). */
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

  #liveByToken(token: string, kind: TokenKind): LiveSession {
    const entry = this.#byToken.get(token);
    if (!entry || entry.kind !== kind || entry.session.endReason) {
      throw new AppError("SESSION_NOT_FOUND");
    }
    return entry.session;
  }

  /** `POST /v2/browser`: a standalone session on a blank page, ready for `execute`. */
  async createBrowser(
    teamId: string,
    request: BrowserCreate,
    publicBaseUrl: string,
  ): Promise<BrowserCreated> {
    await this.#options.credits.ensureForSession(teamId, request.ttl);
    const session = await this.#startCreating({
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
  ): Promise<
    Omit<InteractReply, "sessionId" | "cdpUrl" | "liveViewUrl" | "interactiveLiveViewUrl">
  > {
    const session = await this.#ownSession(id, teamId);
    const r = await this.#call(session, request.language, request.code, request.timeout);
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

  /** `GET /v2/browser`: the team's sessions, newest first. */
  async listBrowsers(teamId: string, status?: SessionStatus): Promise<BrowserList> {
    const rows = await this.#options.store.listSessions(teamId, status);
    return {
      success: true,
      sessions: rows.map((row) => ({
        id: row.id,
        status: row.status,
        cdpUrl: null,
        liveViewUrl: null,
        interactiveLiveViewUrl: null,
        streamWebView: true,
        createdAt: new Date(row.createdAt).toISOString(),
        lastActivity: new Date(row.lastActivityAt).toISOString(),
      })),
    };
  }

  /** Ends every session (reason "shutdown") and stops their hosts and the warm pool. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#creating.values());
    await Promise.all([...this.#live.values()].map((s) => this.#end(s, "shutdown")));
    await this.#options.hosts.close();
    await Promise.all(this.#cleanups);
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
      throw new AppError("SESSION_DESTROYED");
    }
    await this.#options.credits.ensureForSession(teamId, this.#options.limits.SESSION_TTL_SECONDS);
    return (
      this.#live.get(scrapeId) ??
      this.#creating.get(scrapeId) ??
      this.#create(scrapeId, teamId, plan)
    );
  }

  /** Opens `spec` within the limit; the creation counts as a session until it is one. */
  #startCreating(spec: NewSession): Promise<LiveSession> {
    const limit = this.#options.limits.MAX_CONCURRENT_SESSIONS;
    if (this.activeCount >= limit) {
      throw new AppError("SESSION_LIMIT", concurrencyLimitMessage(limit));
    }
    const release = this.#teamSlots.take(spec.teamId);
    this.#teamReleases.set(spec.id, release);
    const key = spec.scrapeId ?? spec.id;
    const creating = this.#open(spec)
      .catch((err: unknown) => {
        this.#releaseTeamSlot(spec.id);
        throw err;
      })
      .finally(() => this.#creating.delete(key));
    this.#creating.set(key, creating);
    return creating;
  }

  #releaseTeamSlot(sessionId: string): void {
    this.#teamReleases.get(sessionId)?.();
    this.#teamReleases.delete(sessionId);
  }

  #create(scrapeId: string, teamId: string, plan: SessionPlan): Promise<LiveSession> {
    const { SESSION_TTL_SECONDS, SESSION_IDLE_SECONDS } = this.#options.limits;
    return this.#startCreating({
      id: uuidv7(),
      scrapeId,
      teamId,
      context: plan.context,
      profile: plan.profile,
      ttlMs: SESSION_TTL_SECONDS * 1000,
      idleMs: SESSION_IDLE_SECONDS * 1000,
    });
  }

  /** Takes the profile's lease, a host, replays, stores the row; undoes each step on failure. */
  async #open(spec: NewSession): Promise<LiveSession> {
    const createdAt = Date.now();
    const { profile, storageState } = await this.#profiles.open(
      spec.teamId,
      spec.profile,
      spec.id,
      spec.ttlMs,
    );
    try {
      const host = await this.#takeHost(spec.id);
      await this.#replay(spec, host, storageState, createdAt);
      const writes = profile?.writer ? profile.name : null;
      const row = newSessionRow(spec, createdAt, host.pid, writes);
      try {
        await this.#options.store.insertSession(row);
      } catch (err) {
        this.#queueCleanup(host.stop());
        throw new AppError("UNKNOWN_ERROR", "Failed to persist browser session.", { cause: err });
      }
      const session = this.#track(row, host, spec, profile);
      this.#logger.info(
        { sessionId: row.id, scrapeId: spec.scrapeId, ms: Date.now() - createdAt },
        "interact session started",
      );
      return session;
    } catch (err) {
      await this.#profiles.release(spec.teamId, profile, spec.id);
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
    const log = this.#logger.child({
      sessionId: spec.id,
      scrapeId: spec.scrapeId,
      hostPid: host.pid,
    });
    try {
      const timeoutMs = replayTimeoutMs(spec.context);
      const replayed = await host.replay({ ...spec.context, timeoutMs, storageState });
      log.debug({ ...replayed, ms: Date.now() - createdAt }, "scrape replayed");
    } catch (err) {
      this.#queueCleanup(host.stop());
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
      return await this.#options.hosts.take();
    } catch (err) {
      this.#logger.error({ err, sessionId }, "could not start a session host");
      throw new AppError("SESSION_CREATE_FAILED", undefined, { cause: err });
    }
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
    for (const kind of ["cdp", "view", "control"] as const) {
      this.#byToken.set(accessKey(session, kind), { session, kind });
    }
    return session;
  }

  /** A host failure ends the session; a failure the host reports leaves it running. */
  async #guard(
    session: LiveSession,
    host: SessionHostHandle,
    call: () => Promise<ExecResult>,
  ): Promise<ExecResult> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ChannelError && err.code === "REMOTE") return failedCall(err.message);
      if (err instanceof ChannelError && err.code === "TIMEOUT") host.kill();
      const reason = session.endReason ?? "crashed";
      this.#logger.warn({ err, sessionId: session.row.id, reason }, "interact call lost its host");
      await this.#end(session, reason);
      return failedCall(ENDED_DURING_CALL[reason], reason !== "crashed");
    }
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
    for (const kind of ["cdp", "view", "control"] as const)
      this.#byToken.delete(accessKey(session, kind));
    this.#views.get(session)?.end();
    this.#views.delete(session);
    this.#releaseTeamSlot(row.id);
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
    const claimed = await this.#options.store.claimSessionEnded(row.id, end);
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
  };
}

/** A call that did not run to its end; `killed` when Skiff stopped it on purpose. */
function failedCall(message: string, killed = false): ExecResult {
  return {
    stdout: "",
    stderr: message,
    result: "",
    exitCode: killed ? 137 : 1,
    killed,
    error: message,
  };
}

type TokenKind = "cdp" | "view" | "control";

/**
 * `<session id>/<token>`: what the session's URLs end with. The pair must match, so one
 * session's token opens nothing of another's.
 */
function accessKey(session: LiveSession, kind: TokenKind): string {
  return `${session.row.id}/${session.tokens[kind]}`;
}

/** The session's three URLs on Skiff itself; each token is its own credential. */
function urlsOf(session: LiveSession, publicBaseUrl: string) {
  return {
    cdpUrl: `${publicBaseUrl.replace(/^http/, "ws")}/v2/cdp/${accessKey(session, "cdp")}`,
    liveViewUrl: `${publicBaseUrl}/v2/live/${accessKey(session, "view")}`,
    interactiveLiveViewUrl: `${publicBaseUrl}/v2/live/${accessKey(session, "control")}`,
  };
}

function interactReply(sessionId: string, r: ExecResult): InteractReply {
  const success = r.exitCode === 0 && !r.killed;
  return {
    success,
    sessionId,
    cdpUrl: null,
    liveViewUrl: null,
    interactiveLiveViewUrl: null,
    stdout: r.stdout,
    result: r.result,
    stderr: r.stderr,
    exitCode: r.exitCode,
    killed: r.killed,
    ...(success ? {} : { error: r.error ?? (r.stderr || "Execution failed") }),
  };
}
