import type { FastifyInstance } from "fastify";
import { buildApp } from "./app.ts";
import { NoAuthenticator } from "./auth/authenticator.ts";
import type { Config } from "./config.ts";
import { FileStore } from "./files/file-store.ts";
import type { Logger } from "./log.ts";
import { EgressProxy } from "./net/egress-proxy.ts";
import { profileKey, ProfileVault } from "./profiles/profile-vault.ts";
import { systemResolver, type Resolver } from "./net/target-policy.ts";
import { BrowserPool } from "./scrape/browser-pool.ts";
import { ScrapeService } from "./scrape/scrape-service.ts";
import type { SessionManager } from "./sessions/session-manager.ts";
import { startSessions } from "./sessions/start-sessions.ts";
import { SqliteStore } from "./store/sqlite-store.ts";

export interface Skiff {
  app: FastifyInstance;
  pool: BrowserPool;
  sessions: SessionManager;
  egress: EgressProxy;
  /** Starts the warm session hosts; in the background, as a browser launch takes a second. */
  startSessionPool(): void;
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
  const store = new SqliteStore(config.DATA_DIR);
  const profiles = new ProfileVault(
    store,
    profileKey(config.DATA_DIR, config.PROFILE_ENCRYPTION_KEY),
  );
  const files = new FileStore({
    dataDir: config.DATA_DIR,
    store,
    ttlMs: config.FILE_TTL_HOURS * 3600_000,
    logger: logger.child({ component: "files" }),
  });
  files.startSweeping(SWEEP_EVERY_MS);
  // The proxy asks for the API's port on each check; the app exists only further down.
  // eslint-disable-next-line prefer-const
  let app: FastifyInstance | undefined;
  const resolve = overrides.resolve ?? systemResolver;
  const egress = new EgressProxy({
    resolve,
    allowPrivateTargets: config.ALLOW_PRIVATE_TARGETS,
    logger: logger.child({ component: "egress" }),
    ownPorts: () => listeningPorts(app),
  });
  const pool = new BrowserPool({
    config,
    logger: logger.child({ component: "browser-pool" }),
    egress,
  });
  const scraper = new ScrapeService({
    config,
    store,
    pool,
    files,
    logger,
    resolve,
    profiles,
  });
  const sessions = await startSessions(config, store, profiles, egress, logger);
  app = await buildApp({
    config,
    logger,
    auth: new NoAuthenticator(),
    scraper,
    sessions: sessions.manager,
    profiles,
    files,
    readiness: {
      get ready() {
        return pool.ready && egress.isUp;
      },
    },
  });
  return {
    app,
    pool,
    sessions: sessions.manager,
    egress,
    startSessionPool: () => sessions.pool.start(),
    async close() {
      await withDeadline(app.close(), config.SHUTDOWN_GRACE_MS);
      await sessions.manager.close();
      await pool.stop(config.SHUTDOWN_GRACE_MS);
      await egress.close();
      files.stop();
      await store.close();
    },
  };
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
