import type { Credits } from "../billing/credits.ts";
import type { Config } from "../config.ts";
import { JobRunner } from "../jobs/job-runner.ts";
import type { Logger } from "../log.ts";
import type { EgressProxy } from "../net/egress-proxy.ts";
import type { Resolver } from "../net/target-policy.ts";
import type { ScrapeService } from "../scrape/scrape-service.ts";
import type { Store } from "../store/store.ts";
import type { PageExtractor } from "../agent/page-extractor.ts";
import { CrawlPrompt } from "./crawl-prompt.ts";
import { CrawlService } from "./crawl-service.ts";
import { CrawlWorker } from "./crawl-worker.ts";
import { ROBOTS_USER_AGENTS } from "./robots.ts";
import { SiteMapper } from "./site-map.ts";
import { SiteFetcher } from "./site-fetcher.ts";
import { WebhookDeliverer } from "./webhook-deliverer.ts";
import type { NodeIdentity } from "../store/node-identity.ts";
import type { SearchBackend } from "../search/search-backend.ts";
import { ExtractService } from "../extract/extract-service.ts";
import { ExtractUrls } from "../extract/extract-urls.ts";
import { ExtractWorker } from "../extract/extract-worker.ts";

export interface Crawls {
  service: CrawlService;
  mapper: SiteMapper;
  /** `/v2/extract`: its jobs run on the same queue and runner. */
  extracts: ExtractService;
  /** Starts claiming jobs (what earlier runs held was requeued when their nodes were reaped). */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A job's lease outlives any page: a lease lost while a page runs means its holder is gone. */
const LEASE_MS = 15 * 60 * 1000;
const FETCH_TIMEOUT_MS = 15_000;
const FETCH_MAX_BYTES = 50 * 1024 * 1024;
const SWEEP_EVERY_MS = 60_000;

/** Crawls and batches: the service the routes call, the runner that works the queue, the webhooks. */
export async function startCrawls(deps: {
  config: Config;
  /** The model behind a crawl's `prompt`; none answers 503. */
  extractor: PageExtractor | undefined;
  store: Store;
  scraper: ScrapeService;
  egress: EgressProxy;
  /** How names are resolved for the policy check of a crawl's or map's URL. */
  resolve: Resolver;
  credits: Credits;
  logger: Logger;
  /** This node: the owner of the jobs it claims. */
  node: NodeIdentity;
  /** The web search of extract's `enableWebSearch`; none answers 503. */
  search?: SearchBackend | undefined;
}): Promise<Crawls> {
  const { config, store, scraper, egress, credits } = deps;
  const logger = deps.logger.child({ component: "crawls" });
  const listener = await egress.listenTcp("crawl fetches");
  const fetcher = new SiteFetcher({
    proxyUrl: listener.url,
    userAgent: `Mozilla/5.0 (compatible; ${ROBOTS_USER_AGENTS[0]}; Skiff)`,
    timeoutMs: FETCH_TIMEOUT_MS,
    maxBytes: FETCH_MAX_BYTES,
  });
  const worker = new CrawlWorker({ store, scraper, fetcher, logger });
  const hooks = await egress.listenTcp("webhooks");
  const deliverer = new WebhookDeliverer({
    store,
    logger: logger.child({ component: "webhooks" }),
    proxyUrl: hooks.url,
    secret: config.SELF_HOSTED_WEBHOOK_HMAC_SECRET,
  });
  const concurrency = config.JOB_CONCURRENCY || Math.max(1, config.SCRAPE_CONCURRENCY - 1);
  const runner = new JobRunner({
    store,
    logger,
    owner: deps.node,
    concurrency,
    teamLimit: config.AUTH === "keys" ? config.TEAM_MAX_CONCURRENT_SCRAPES : concurrency,
    leaseMs: LEASE_MS,
    cancelCheckMs: config.NODE_HEARTBEAT_MS,
    handle: (job, signal) =>
      job.kind === "extract" ? extractWorker.handle(job, signal) : worker.handle(job, signal),
  });
  const targets = { allowPrivate: config.ALLOW_PRIVATE_TARGETS, resolve: deps.resolve };
  const mapper = new SiteMapper({ fetcher, store, logger, credits, targets });
  const extractLog = deps.logger.child({ component: "extracts" });
  const urls = new ExtractUrls({ mapper, search: deps.search, logger: extractLog });
  const extractWorker = new ExtractWorker({
    store,
    scraper,
    extractor: deps.extractor,
    urls,
    logger: extractLog,
  });
  const extracts = new ExtractService({
    store,
    credits,
    extractor: deps.extractor,
    search: deps.search,
    targets,
    logger: extractLog,
    notify: () => runner.notify(),
    retentionMs: config.JOB_RETENTION_SECONDS * 1000,
  });
  const service = new CrawlService({
    prompt: new CrawlPrompt(deps.extractor, mapper),
    targets,
    store,
    fetcher,
    credits,
    logger,
    notify: () => runner.notify(),
    retentionMs: config.JOB_RETENTION_SECONDS * 1000,
  });
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = () =>
    service.sweepExpired().catch((err: unknown) => logger.error({ err }, "sweep failed"));
  return {
    service,
    mapper,
    extracts,
    async start() {
      await runner.start();
      deliverer.start();
      await sweep();
      sweeper = setInterval(() => void sweep(), SWEEP_EVERY_MS).unref();
    },
    async close() {
      clearInterval(sweeper);
      await runner.close();
      await deliverer.close();
      await fetcher.close();
      await Promise.all([listener.close(), hooks.close()]);
    },
  };
}
