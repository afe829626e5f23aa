import cors from "@fastify/cors";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { registerErrorHandling } from "./api/error-handler.ts";
import { registerAdminRoutes } from "./api/routes/admin.ts";
import { registerBrowserRoutes } from "./api/routes/browser.ts";
import { registerCrawlRoutes } from "./api/routes/crawl.ts";
import { registerExtractRoutes } from "./api/routes/extract.ts";
import { crawlWatchUpgrade } from "./api/routes/crawl-watch.ts";
import { cdpUpgrade } from "./api/routes/cdp.ts";
import { liveUpgrade, registerLiveRoutes } from "./api/routes/live.ts";
import { registerUpgrades } from "./api/upgrades.ts";
import { forwardingServer, forwardingUpgrade, registerForwarding } from "./api/forwarding.ts";
import type { SessionForwarder } from "./cluster/session-forwarder.ts";
import { registerProfileRoutes } from "./api/routes/profiles.ts";
import { registerFileRoutes } from "./api/routes/files.ts";
import { registerHealthRoutes, type Readiness } from "./api/routes/health.ts";
import { registerInteractRoutes } from "./api/routes/interact.ts";
import { registerScrapeRoutes } from "./api/routes/scrape.ts";
import { registerSearchRoutes } from "./api/routes/search.ts";
import { registerTeamRoutes } from "./api/routes/team.ts";
import { registerCaller } from "./api/caller.ts";
import type { Authenticator } from "./auth/authenticator.ts";
import type { TeamRateLimiter } from "./auth/rate-limiter.ts";
import type { Credits } from "./billing/credits.ts";
import type { Teams } from "./auth/teams.ts";
import type { Config } from "./config.ts";
import type { CrawlService } from "./crawl/crawl-service.ts";
import type { ExtractService } from "./extract/extract-service.ts";
import type { SiteMapper } from "./crawl/site-map.ts";
import type { FileStore } from "./files/file-store.ts";
import type { Logger } from "./log.ts";
import type { ScrapeService } from "./scrape/scrape-service.ts";
import type { SearchService } from "./search/search-service.ts";
import type { ProfileVault } from "./profiles/profile-vault.ts";
import type { SessionManager } from "./sessions/session-manager.ts";

export interface AppDeps {
  config: Config;
  logger: Logger;
  auth: Authenticator;
  /** Requests a team may make a minute; undefined when not limited (AUTH=none). */
  rateLimiter: TeamRateLimiter | undefined;
  credits: Credits;
  /** Teams, keys and credits, for the admin API (which exists only when ADMIN_API_KEY is set). */
  teams: Teams;
  scraper: ScrapeService;
  /** `/v2/search`; answers 503 when no search backend is configured. */
  searcher: SearchService;
  crawls: CrawlService;
  mapper: SiteMapper;
  extracts: ExtractService;
  sessions: SessionManager;
  profiles: ProfileVault;
  files: FileStore;
  /** In a cluster: sends a session's calls on to the node that runs it. */
  forwarder?: SessionForwarder | undefined;
  readiness: Readiness;
}

/** Firecrawl's body limit. */
const BODY_LIMIT = 10 * 1024 * 1024;

/**
 * While the server closes, in-flight replies ask the client to drop the connection; otherwise a
 * kept-alive socket would hold `close()` open until the grace period ends.
 */
function closeConnectionsWhenClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (closing) void reply.header("connection", "close");
    done(null, payload);
  });
}

/**
 * An empty body with a JSON content type is `{}`, as Firecrawl reads it: the Python SDK sends every
 * DELETE that way. Anything else goes to Fastify's own parser (prototype-poisoning checks included).
 */
function readEmptyJsonAsObject(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if (body === "") {
      done(null, {});
      return;
    }
    void parseJson(request, body.toString(), done);
  });
}

/** Builds the HTTP app around its dependencies; it never listens (main does, tests inject). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: BODY_LIMIT,
    // Profile names run to 128 characters; Fastify would answer 414 past its default of 100.
    routerOptions: { maxParamLength: 256 },
    trustProxy: false,
    return503OnClosing: true,
    ...(deps.forwarder && { serverFactory: forwardingServer(deps.forwarder) }),
  });
  registerErrorHandling(app);
  readEmptyJsonAsObject(app);
  closeConnectionsWhenClosing(app);
  await app.register(cors);
  registerHealthRoutes(app, deps.readiness);
  registerFileRoutes(app, deps.files);
  if (deps.forwarder) registerForwarding(app, deps.forwarder);
  registerCaller(app, deps);
  registerScrapeRoutes(app, deps);
  registerSearchRoutes(app, deps);
  registerCrawlRoutes(app, deps);
  registerExtractRoutes(app, deps);
  registerTeamRoutes(app, deps);
  registerInteractRoutes(app, deps);
  registerBrowserRoutes(app, deps);
  registerProfileRoutes(app, deps);
  registerLiveRoutes(app, deps.sessions);
  await registerAdminRoutes(app, deps);
  const sessionUpgrades = [cdpUpgrade(deps.sessions, deps.logger), liveUpgrade(deps.sessions)];
  registerUpgrades(app, [
    ...(deps.forwarder ? [forwardingUpgrade(deps.forwarder, sessionUpgrades)] : []),
    ...sessionUpgrades,
    crawlWatchUpgrade(deps.crawls, deps.auth, deps.logger),
  ]);
  return app;
}
