import type { FastifyInstance } from "fastify";
import { createLlmModel, type LlmModel } from "./agent/llm-provider.ts";
import { PageExtractor } from "./agent/page-extractor.ts";
import { buildApp } from "./app.ts";
import { InternalListener } from "./api/internal-listener.ts";
import { PeerEndpoints } from "./cluster/peer-endpoints.ts";
import { SessionForwarder } from "./cluster/session-forwarder.ts";
import { NodeIdentity } from "./store/node-identity.ts";
import { NoAuthenticator } from "./auth/authenticator.ts";
import { RateLimiter, type TeamRateLimiter } from "./auth/rate-limiter.ts";
import { SharedRateLimiter } from "./auth/shared-rate-limiter.ts";
import { Credits } from "./billing/credits.ts";
import { KeyAuthenticator } from "./auth/key-authenticator.ts";
import { Teams } from "./auth/teams.ts";
import type { Config } from "./config.ts";
import { startCrawls } from "./crawl/start-crawls.ts";
import { FileStore } from "./files/file-store.ts";
import type { Logger } from "./log.ts";
import { EgressProxy } from "./net/egress-proxy.ts";
import { profileKey, ProfileVault } from "./profiles/profile-vault.ts";
import { systemResolver, type Resolver } from "./net/target-policy.ts";
import { BrowserPool } from "./scrape/browser-pool.ts";
import { ScrapeService } from "./scrape/scrape-service.ts";
import { createSearchBackend } from "./search/create-search-backend.ts";
import { SearchService } from "./search/search-service.ts";
import type { SessionManager } from "./sessions/session-manager.ts";
import { startSessions } from "./sessions/start-sessions.ts";
import { SessionStarts } from "./sessions/session-starts.ts";
import { NodeHeartbeat } from "./cluster/node-heartbeat.ts";
import { endSessionsOfNodes } from "./sessions/orphan-reaper.ts";
import { PostgresStore } from "./store/postgres-store.ts";
import { SqliteStore } from "./store/sqlite-store.ts";
import type { Store } from "./store/store.ts";

export interface Skiff {
  app: FastifyInstance;
  pool: BrowserPool;
  sessions: SessionManager;
  egress: EgressProxy;
  /** The configured model, shared by every LLM call; undefined when none is configured. */
  llm: LlmModel | undefined;
  /** Starts the warm session hosts; in the background, as a browser launch takes a second. */
  startSessionPool(): void;
  /**
   * Starts working the crawl and batch queue, first requeueing what a previous run held. Call it
   * once the browser pool is up: pages claimed before would only fail.
   */
  startJobs(): Promise<void>;
  /**
   * Before `close` on SIGTERM: readiness answers 503 so that the balancer sends new work to other
   * nodes, and running sessions go on (their calls still work) until they end or for
   * SESSION_DRAIN_SECONDS, whichever comes first.
   */
  drain(): Promise<void>;
  /** Stops taking requests, lets in-flight work finish up to the grace period, closes everything. */
  close(): Promise<void>;
}

const SWEEP_EVERY_MS = 10 * 60 * 1000;

/** Everything Skiff is, wired from one config. The browser starts in the background; readiness tells. */
export async function createSkiff(
  config: Config,
  logger: Logger,
  overrides: { resolve?: Resolver } = {},
): Promise<Skiff> {
  /** This process, as the holder of its sessions, team slots, credit holds and job leases. */
  const node = new NodeIdentity();
  const store: Store = config.DATABASE_URL
    ? await PostgresStore.open(config.DATABASE_URL, logger.child({ component: "store" }))
    : new SqliteStore(config.DATA_DIR);
  // The app answers the internal port too; it exists only further down.
  // eslint-disable-next-line prefer-const
  let app: FastifyInstance | undefined;
  const internal = await internalListenerOf(config, () => app, logger);
  const heartbeat = new NodeHeartbeat({
    store,
    node,
    internalUrl: internal ? internalUrlOf(config, internal.port) : null,
    heartbeatMs: config.NODE_HEARTBEAT_MS,
    deadAfterMs: config.NODE_DEAD_AFTER_MS,
    singleNode: config.DATABASE_URL === undefined,
    logger: logger.child({ component: "nodes" }),
  });
  await heartbeat.start();
  const peers = internal && new PeerEndpoints(store, logger.child({ component: "nodes" }));
  await peers?.start(config.NODE_HEARTBEAT_MS);
  const profiles = new ProfileVault(
    store,
    profileKey(config.DATA_DIR, config.PROFILE_ENCRYPTION_KEY),
  );
  const files = new FileStore({
    store,
    ttlMs: config.FILE_TTL_HOURS * 3600_000,
    logger: logger.child({ component: "files" }),
  });
  files.startSweeping(SWEEP_EVERY_MS);
  const resolve = overrides.resolve ?? systemResolver;
  const egress = new EgressProxy({
    resolve,
    allowPrivateTargets: config.ALLOW_PRIVATE_TARGETS,
    logger: logger.child({ component: "egress" }),
    ownPorts: () => listeningPorts(app),
    peers: () => peers?.current ?? [],
  });
  // Session starts go before the scrape pool's warm contexts (session-starts.ts).
  const sessionStarts = new SessionStarts();
  const pool = new BrowserPool({
    config,
    logger: logger.child({ component: "browser-pool" }),
    egress,
    yieldTo: sessionStarts,
  });
  const llm = modelOf(config, logger);
  const keys = config.AUTH === "keys";
  const credits = new Credits(store, { enforced: keys, node });
  const extractor = llm && new PageExtractor(llm, logger.child({ component: "page-extractor" }));
  const scraper = new ScrapeService({
    config,
    store,
    pool,
    files,
    logger,
    resolve,
    profiles,
    llm: extractor,
    credits,
    teamConcurrency: keys ? config.TEAM_MAX_CONCURRENT_SCRAPES : undefined,
    node,
  });
  const search = searchOf(config, logger);
  const searcher = new SearchService({
    backend: search,
    scraper,
    store,
    credits,
    logger,
    teamConcurrency: keys ? config.TEAM_MAX_CONCURRENT_SCRAPES : undefined,
  });
  const sessions = await startSessions(
    config,
    store,
    profiles,
    egress,
    logger,
    llm,
    credits,
    node,
    sessionStarts,
  );
  heartbeat.whenNodesDie((nodeIds) =>
    endSessionsOfNodes({ store, logger, nodeIds, now: Date.now() }),
  );
  heartbeat.whenFenced(async () => {
    const stopped = await sessions.manager.fence();
    logger.warn({ sessions: stopped }, "fenced: stopped this node's sessions, unbilled");
  });
  const forwarder =
    internal &&
    new SessionForwarder({
      store,
      node,
      secret: config.CLUSTER_SECRET ?? "",
      heartbeatMs: config.NODE_HEARTBEAT_MS,
      deadAfterMs: config.NODE_DEAD_AFTER_MS,
      reapNow: () => heartbeat.reapNow(),
      logger: logger.child({ component: "forwarder" }),
    });
  const crawls = await startCrawls({
    config,
    extractor,
    store,
    scraper,
    egress,
    resolve,
    credits,
    logger,
    node,
    search,
  });
  const rateLimiter = keys ? rateLimiterOf(config, logger) : undefined;
  app = await buildApp({
    config,
    logger,
    auth: keys ? new KeyAuthenticator(store) : new NoAuthenticator(),
    rateLimiter,
    credits,
    teams: new Teams(store),
    scraper,
    searcher,
    crawls: crawls.service,
    extracts: crawls.extracts,
    mapper: crawls.mapper,
    sessions: sessions.manager,
    profiles,
    files,
    forwarder,
    readiness: {
      get notReady() {
        if (draining) return "draining";
        if (!pool.ready) return "starting";
        return egress.isUp ? undefined : "egress proxy down";
      },
    },
  });
  let draining = false;
  return {
    app,
    pool,
    sessions: sessions.manager,
    egress,
    llm,
    startSessionPool: () => sessions.pool.start(),
    startJobs: () => crawls.start(),
    async drain() {
      draining = true;
      const bound = config.SESSION_DRAIN_SECONDS * 1000;
      if (bound === 0 || sessions.manager.activeCount === 0) return;
      logger.info(
        { sessions: sessions.manager.activeCount, seconds: config.SESSION_DRAIN_SECONDS },
        "draining: readiness answers 503; running sessions go on until they end or the bound",
      );
      await sessions.manager.whenIdle(bound);
    },
    async close() {
      draining = true;
      await withDeadline(app.close(), config.SHUTDOWN_GRACE_MS);
      await crawls.close();
      await sessions.manager.close();
      await internal?.close();
      forwarder?.close();
      peers?.stop();
      await pool.stop(config.SHUTDOWN_GRACE_MS);
      await egress.close();
      files.stop();
      await heartbeat.stop();
      await rateLimiter?.close();
      await store.close();
    },
  };
}

/** The port peers forward session calls to, in a cluster (DATABASE_URL); none on one node. */
async function internalListenerOf(
  config: Config,
  app: () => FastifyInstance | undefined,
  logger: Logger,
): Promise<InternalListener | undefined> {
  if (!config.DATABASE_URL || !config.CLUSTER_SECRET) return undefined;
  const listener = await InternalListener.start({
    app,
    secret: config.CLUSTER_SECRET,
    host: config.INTERNAL_HOST,
    port: config.INTERNAL_PORT,
    logger: logger.child({ component: "internal" }),
  });
  logger.info({ host: config.INTERNAL_HOST, port: listener.port }, "internal port listening");
  return listener;
}

/** How peers reach this node: INTERNAL_URL, or the internal host and the port it listens on. */
function internalUrlOf(config: Config, port: number): string {
  if (config.INTERNAL_URL) return config.INTERNAL_URL;
  const host = config.INTERNAL_HOST.includes(":")
    ? `[${config.INTERNAL_HOST}]`
    : config.INTERNAL_HOST;
  return `http://${host}:${port}`;
}

/** Per team and minute: in this process on one node, in Postgres when nodes share it. */
function rateLimiterOf(config: Config, logger: Logger): TeamRateLimiter {
  const perMinute = config.TEAM_RATE_LIMIT_PER_MINUTE;
  if (!config.DATABASE_URL) return new RateLimiter(perMinute);
  return new SharedRateLimiter(config.DATABASE_URL, perMinute, logger.child({ component: "rate" }));
}

/** The model from the config, said once at start so an operator sees which one answers. */
function modelOf(config: Config, logger: Logger): LlmModel | undefined {
  const llm = createLlmModel(config, logger.child({ component: "llm" }));
  if (llm) logger.info({ provider: llm.provider, model: llm.modelName }, "LLM provider configured");
  else
    logger.info("no LLM provider configured: prompts and the json and summary formats answer 503");
  return llm;
}

/** The search backend from the config, said once at start like the model. */
function searchOf(config: Config, logger: Logger) {
  const search = createSearchBackend(config, logger.child({ component: "search" }));
  if (search) logger.info({ backend: search.name }, "search backend configured");
  else logger.info("no search backend configured: /v2/search answers 503 (set SEARXNG_ENDPOINT)");
  return search;
}

/** The API's port, once it listens: the egress proxy never lets a browser reach it. */
function listeningPorts(app: FastifyInstance | undefined): number[] {
  const address = app?.server.address();
  return typeof address === "object" && address ? [address.port] : [];
}

async function withDeadline(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([work, deadline]);
  clearTimeout(timer);
}
