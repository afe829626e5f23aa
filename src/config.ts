import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Every setting Skiff reads: env name → schema with its default. Nothing else reads the environment. */
const settings = {
  PORT: int(0, 65535).default(3002),
  HOST: z.string().min(1).default("127.0.0.1"),
  /** Base of the URLs Skiff hands out (screenshots); unset, each request's own Host is used. */
  PUBLIC_URL: z.url().optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  /** A Postgres URL: the store lives there instead of DATA_DIR's SQLite file. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "a postgres:// or postgresql:// URL")
    .optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** `none`: one team, no keys, no credits (Firecrawl's self-host bypass); `keys`: API keys and teams. */
  AUTH: z.enum(["none", "keys"]).default("none"),
  /** Enables the admin API (`/admin/v1`), which this bearer token guards; unset, it does not exist. */
  ADMIN_API_KEY: z.string().min(16, "at least 16 characters").optional(),
  /** Signs every webhook delivery (`X-Firecrawl-Signature: sha256=…`), as Firecrawl's self-host. */
  SELF_HOSTED_WEBHOOK_HMAC_SECRET: z.string().min(1).optional(),
  /** Sessions one team may run at once (AUTH=keys), within MAX_CONCURRENT_SESSIONS. */
  TEAM_MAX_CONCURRENT_SESSIONS: int(1, 1000).default(5),
  /** Scrapes one team may run at once (AUTH=keys). */
  TEAM_MAX_CONCURRENT_SCRAPES: int(1, 1000).default(10),
  /** Requests one team may make a minute (AUTH=keys). */
  TEAM_RATE_LIMIT_PER_MINUTE: int(1, 1_000_000).default(600),
  CHROME_PATH: z.string().min(1).optional(),
  /** How interact sessions are isolated: bubblewrap, none (a plain child process), or auto-detect. */
  SANDBOX: z.enum(["auto", "bwrap", "none"]).default("auto"),
  ALLOW_PRIVATE_TARGETS: bool.default(false),
  /** Scrapes that may run in the shared browser at once; the rest wait in a queue. */
  SCRAPE_CONCURRENCY: int(1, 64).default(Math.max(2, availableParallelism() * 2)),
  /**
   * Pages of crawls and batches this server scrapes at once. 0 means one less than
   * SCRAPE_CONCURRENCY, so a crawl always leaves the shared browser a slot for `/v2/scrape`.
   */
  JOB_CONCURRENCY: int(0, 64).default(0),
  /**
   * Signs the calls one node forwards to another (DATABASE_URL): every node of a cluster uses the
   * same one, and the internal port refuses a call without its signature.
   */
  CLUSTER_SECRET: z.string().min(32, "at least 32 characters").optional(),
  /** Where this node takes calls forwarded by peers for the sessions it runs (DATABASE_URL). */
  INTERNAL_PORT: int(0, 65535).default(3003),
  /** The address the internal port listens on: a private network's, never a public one. */
  INTERNAL_HOST: z.string().min(1).default("127.0.0.1"),
  /** How peers reach the internal port, when not at http://INTERNAL_HOST:INTERNAL_PORT. */
  INTERNAL_URL: z.url().optional(),
  /**
   * On SIGTERM, how long running sessions may go on (readiness answers 503, so the balancer sends
   * new work elsewhere) before they end. Default: 30 with DATABASE_URL, 0 on one node.
   */
  SESSION_DRAIN_SECONDS: int(0, 3600).optional(),
  /** How often this node writes its heartbeat to the store. */
  NODE_HEARTBEAT_MS: int(50, 60_000).default(2_000),
  /** A node silent this long is dead: a peer frees its slots and holds and requeues its jobs. */
  NODE_DEAD_AFTER_MS: int(200, 600_000).default(10_000),
  /** How long a crawl's or batch's results are kept once it ends (an hour at most under ZDR). */
  JOB_RETENTION_SECONDS: int(1, 30 * 86_400).default(86_400),
  /** Browser contexts kept open and ready so a scrape does not pay for a new page. */
  SCRAPE_WARM_CONTEXTS: int(0, 16).default(2),
  /** The shared browser is restarted after this many scrapes, to bound its memory. */
  BROWSER_RECYCLE_AFTER: int(1, 1_000_000).default(500),
  /** Default scrape deadline when the request sets none (Firecrawl's documented default). */
  SCRAPE_DEFAULT_TIMEOUT_MS: int(1000, 600_000).default(60_000),
  /** How long a scrape may wait for a browser slot before it is refused. */
  SCRAPE_QUEUE_TIMEOUT_MS: int(1000, 600_000).default(60_000),
  /** How long screenshots and PDFs from actions stay downloadable. */
  FILE_TTL_HOURS: int(1, 24 * 30).default(24),
  /** Interact sessions the server runs at once (each is a sandbox with its own Chromium). */
  MAX_CONCURRENT_SESSIONS: int(1, 1000).default(20),
  /** A session ends this long after it started, whatever it does (Firecrawl's `ttl`). */
  SESSION_TTL_SECONDS: int(1, 86_400).default(600),
  /** A session ends after this long without a call (Firecrawl's `activityTtl`). */
  SESSION_IDLE_SECONDS: int(1, 86_400).default(300),
  /** Session hosts started ahead of time, so a first interact call does not wait for a browser. */
  SESSION_WARM_POOL: int(0, 16).default(1),
  /**
   * After a burst of session starts, the warm pool grows to as many hosts as the burst took, up
   * to this many and within half the memory available (a host is ~150–200 MB), so that the next
   * burst finds them open. 0 (or no more than SESSION_WARM_POOL) keeps the pool at its size.
   */
  SESSION_WARM_POOL_MAX: int(0, 1000).default(20),
  /** After this long without a session start the pool shrinks back to SESSION_WARM_POOL. */
  SESSION_WARM_POOL_IDLE_SECONDS: int(1, 86_400).default(300),
  /** 64 hex digits (AES-256) sealing profiles at rest; unset, Skiff makes one in DATA_DIR. */
  PROFILE_ENCRYPTION_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "64 hex digits (a 256-bit key)")
    .optional(),
  /** On SIGTERM, in-flight scrapes get this long to finish before browsers are closed. */
  SHUTDOWN_GRACE_MS: int(0, 300_000).default(15_000),
  /** An OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp, LM Studio, Ollama's /v1). */
  OPENAI_BASE_URL: z.url().optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  /** The model every LLM call uses; each provider has a default. */
  MODEL_NAME: z.string().min(1).optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  /** Ollama's native API, e.g. http://127.0.0.1:11434/api. */
  OLLAMA_BASE_URL: z.url().optional(),
  /** A prompt call's whole deadline; the request's `timeout` bounds each of its steps. */
  PROMPT_DEADLINE_SECONDS: int(1, 3600).default(300),
  /** A SearXNG instance (JSON output enabled) behind `/v2/search`; unset, search answers 503. */
  SEARXNG_ENDPOINT: z.url().optional(),
  /** SearXNG's `engines` parameter for web results (comma-separated); unset, the instance's own. */
  SEARXNG_ENGINES: z.string().min(1).optional(),
  /** SearXNG's `categories` parameter for web results; unset, `general`. */
  SEARXNG_CATEGORIES: z.string().min(1).optional(),
} as const;

type Settings = typeof settings;
export type Config = Readonly<
  Omit<{ [K in keyof Settings]: z.output<Settings[K]> }, "SESSION_DRAIN_SECONDS"> & {
    CHROME_PATH: string;
    SESSION_DRAIN_SECONDS: number;
  }
>;

export class ConfigError extends Error {}

/**
 * The headless shell first: it opens a context and tab in about a quarter of the time the full
 * browser's headless mode takes (measured: 35 ms against 134 ms), and Skiff never shows a window.
 */
const CHROME_CANDIDATES = [
  // Debian's /usr/bin wrapper runs this as a child rather than exec'ing it; launching the binary
  // itself means the pid Skiff holds is the browser's, so killing it really stops the browser.
  "/usr/lib/chromium/chromium-headless-shell",
  "/usr/bin/chromium-headless-shell",
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
];

function detectChrome(explicit: string | undefined): string {
  if (explicit) {
    if (!existsSync(explicit)) throw new ConfigError(`CHROME_PATH: no file at ${explicit}`);
    return explicit;
  }
  const found = CHROME_CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new ConfigError(
      "CHROME_PATH: no Chromium found (looked in " +
        CHROME_CANDIDATES.join(", ") +
        "); install the Debian package 'chromium' or set CHROME_PATH",
    );
  }
  return found;
}

/** Parses the environment once; a bad value throws ConfigError naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const c = parseSettings(z.object(settings), env);
  if (c.DATABASE_URL && !c.PROFILE_ENCRYPTION_KEY) {
    throw new ConfigError(
      "PROFILE_ENCRYPTION_KEY: required with DATABASE_URL (profiles in Postgres are sealed with it, and every node must use the same key)",
    );
  }
  if (c.DATABASE_URL && !c.CLUSTER_SECRET) {
    throw new ConfigError(
      "CLUSTER_SECRET: required with DATABASE_URL (nodes sign the calls they forward to each other with it; every node must use the same one)",
    );
  }
  if (c.DATABASE_URL && !c.INTERNAL_URL && ["0.0.0.0", "::"].includes(c.INTERNAL_HOST)) {
    throw new ConfigError(
      `INTERNAL_URL: required when INTERNAL_HOST is ${c.INTERNAL_HOST} (peers need an address to reach this node at)`,
    );
  }
  return Object.freeze({
    ...c,
    DATA_DIR: path.resolve(c.DATA_DIR),
    CHROME_PATH: detectChrome(c.CHROME_PATH),
    PUBLIC_URL: c.PUBLIC_URL?.replace(/\/+$/, ""),
    PROFILE_ENCRYPTION_KEY: c.PROFILE_ENCRYPTION_KEY,
    DATABASE_URL: c.DATABASE_URL,
    SESSION_DRAIN_SECONDS: c.SESSION_DRAIN_SECONDS ?? (c.DATABASE_URL ? 30 : 0),
    CLUSTER_SECRET: c.CLUSTER_SECRET,
    INTERNAL_URL: c.INTERNAL_URL?.replace(/\/+$/, ""),
    OPENAI_BASE_URL: c.OPENAI_BASE_URL,
    OPENAI_API_KEY: c.OPENAI_API_KEY,
    MODEL_NAME: c.MODEL_NAME,
    ANTHROPIC_API_KEY: c.ANTHROPIC_API_KEY,
    OLLAMA_BASE_URL: c.OLLAMA_BASE_URL,
    SEARXNG_ENDPOINT: c.SEARXNG_ENDPOINT?.replace(/\/+$/, ""),
    SEARXNG_ENGINES: c.SEARXNG_ENGINES,
    SEARXNG_CATEGORIES: c.SEARXNG_CATEGORIES,
    ADMIN_API_KEY: c.ADMIN_API_KEY,
    SELF_HOSTED_WEBHOOK_HMAC_SECRET: c.SELF_HOSTED_WEBHOOK_HMAC_SECRET,
  });
}

function pickSettings(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(settings)) {
    const value = env[name];
    if (value !== undefined && value !== "") out[name] = value;
  }
  return out;
}

/**
 * The settings a client of the server needs (`./skiff admin`): parsed and checked as the server
 * parses them, without the server's own checks, so it runs where no browser is installed.
 */
export function loadClientConfig(
  env: Record<string, string | undefined> = process.env,
): Readonly<{ PORT: number; ADMIN_API_KEY: string | undefined }> {
  const client = z.object({ PORT: settings.PORT, ADMIN_API_KEY: settings.ADMIN_API_KEY });
  const c = parseSettings(client, env);
  return Object.freeze({ PORT: c.PORT, ADMIN_API_KEY: c.ADMIN_API_KEY });
}

function parseSettings<T extends z.ZodType>(
  schema: T,
  env: Record<string, string | undefined>,
): z.output<T> {
  const parsed = schema.safeParse(pickSettings(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  return parsed.data;
}

/** The table of settings, for the README and `./skiff help`. */
export const settingNames = Object.keys(settings) as (keyof Settings)[];
