import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import { loadConfig } from "../../src/config.ts";
import type { Logger } from "../../src/log.ts";
import type { Resolver } from "../../src/net/target-policy.ts";
import { createSkiff, type Skiff } from "../../src/server.ts";
import { startTestSite, type TestSite } from "../fixtures/site/test-site.ts";
import { serversLogger } from "./server-warnings.ts";

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

/** A real Skiff on a free loopback port, with its own data dir and a ready browser pool. */
export async function startSkiff(
  env: Record<string, string> = {},
  /** Instead of the tests' own (server-warnings.ts): a benchmark reads the server's own timings. */
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
  before(async () => {
    [running.server, running.site] = await Promise.all([startSkiff(env), startTestSite()]);
  });
  after(async () => {
    await Promise.all([running.server.close(), running.site.close()]);
  });
  return running;
}
