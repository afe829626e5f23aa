import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, afterEach, before } from "node:test";
import { pino } from "pino";
import { loadConfig } from "../../src/config.ts";
import type { Logger } from "../../src/log.ts";
import type { Resolver } from "../../src/net/target-policy.ts";
import { createSkiff, type Skiff } from "../../src/server.ts";
import { startTestSite, type TestSite } from "../fixtures/site/test-site.ts";

export interface RunningSkiff {
  url: string;
  skiff: Skiff;
  dataDir: string;
  close(): Promise<void>;
}

/** Resolves the names tests use without DNS: `*.invalid` fails, everything else is loopback. */
export const testResolver: Resolver = (hostname) =>
  hostname.endsWith(".invalid")
    ? Promise.reject(new Error(`ENOTFOUND ${hostname}`))
    : Promise.resolve(["127.0.0.1"]);

/** The server's warnings and errors since the current test began, for `printServerLogOnFailure`. */
const recentWarnings: string[] = [];
const MAX_RECENT_WARNINGS = 300;

/**
 * The servers' logger: warnings and errors kept for the current test, and with
 * SKIFF_TEST_LOG_LEVEL set, every line at that level on stdout as it happens.
 */
function testLogger(): Logger {
  const keep = (line: string) => {
    recentWarnings.push(line);
    if (recentWarnings.length > MAX_RECENT_WARNINGS) recentWarnings.shift();
  };
  const streams: pino.StreamEntry[] = [{ level: "warn", stream: { write: keep } }];
  const shown = process.env.SKIFF_TEST_LOG_LEVEL ?? "silent";
  const shownValue = pino.levels.values[shown]; // undefined for "silent"
  if (shownValue !== undefined)
    streams.push({ level: shown as pino.Level, stream: process.stdout });
  const level = shownValue !== undefined && shownValue < 40 ? shown : "warn";
  return pino({ level, base: { service: "skiff" } }, pino.multistream(streams));
}
const serversLogger = testLogger();

/** The warnings and errors servers this process started logged in the current test, parsed. */
export function serverWarnings(): Record<string, unknown>[] {
  return recentWarnings.map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * Registers a hook that prints, after a test that failed, what the servers this process started
 * warned about while it ran (why a session ended, say, where the test only sees that it did). A
 * failure on CI then explains itself.
 */
export function printServerLogOnFailure(): void {
  afterEach((t) => {
    const failed = "passed" in t && t.passed === false;
    if (failed && recentWarnings.length > 0) {
      process.stderr.write(`── the server's warnings during "${t.fullName}":\n`);
      process.stderr.write(recentWarnings.join(""));
    }
    recentWarnings.length = 0;
  });
}

/** A real Skiff on a free loopback port, with its own data dir and a ready browser pool. */
export async function startSkiff(
  env: Record<string, string> = {},
  /** Instead of one at LOG_LEVEL on stdout (a benchmark reads the server's own timings). */
  logger?: Logger,
): Promise<RunningSkiff> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "skiff-test-"));
  const config = loadConfig({
    PORT: "0",
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.SKIFF_TEST_LOG_LEVEL ?? "silent",
    ALLOW_PRIVATE_TARGETS: "true",
    // No warm session host unless a test asks: most files never interact.
    SESSION_WARM_POOL: "0",
    SESSION_WARM_POOL_MAX: "0",
    ...env,
  });
  const skiff = await createSkiff(config, logger ?? serversLogger, {
    resolve: testResolver,
  });
  await skiff.pool.start();
  await skiff.startJobs();
  skiff.startSessionPool();
  const url = await skiff.app.listen({ port: 0, host: "127.0.0.1" });
  return {
    url,
    skiff,
    dataDir,
    async close() {
      await skiff.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs JSON and returns status and parsed body. */
export async function postJson<T = Record<string, any>>(
  url: string,
  body: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/**
 * Registers before/after hooks that start a Skiff and the local test site for the current file,
 * and returns the object they fill in.
 */
export function useSkiffAndSite(env: Record<string, string> = {}): {
  server: RunningSkiff;
  site: TestSite;
} {
  const running = {} as { server: RunningSkiff; site: TestSite };
  printServerLogOnFailure();
  before(async () => {
    [running.server, running.site] = await Promise.all([startSkiff(env), startTestSite()]);
  });
  after(async () => {
    await Promise.all([running.server.close(), running.site.close()]);
  });
  return running;
}
