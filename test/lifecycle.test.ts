// The server as a process: it becomes ready, and SIGTERM lets in-flight scrapes finish, then exits 0.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestSite } from "./fixtures/site/test-site.ts";

const MAIN = path.resolve(import.meta.dirname, "../src/main.ts");

interface Started {
  child: ChildProcess;
  url: string;
  /** Everything the server logged up to the moment it listened. */
  log: string;
}

/** Starts `node src/main.ts` on a free port and resolves with its base URL once it listens. */
function startServer(dataDir: string, env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: "0",
      DATA_DIR: dataDir,
      ALLOW_PRIVATE_TARGETS: "true",
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let buffered = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(buffered);
      if (m?.[1]) resolve({ child, url: m[1], log: buffered });
    });
    child.once("exit", (code) => reject(new Error(`server exited early with ${code}`)));
  });
}

async function waitReady(url: string, deadlineMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < deadlineMs) {
    const res = await fetch(`${url}/v0/health/readiness`).catch(() => undefined);
    if (res?.status === 200) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready within ${deadlineMs} ms`);
}

describe("server process", () => {
  let site: Awaited<ReturnType<typeof startTestSite>>;
  let dataDir: string;
  before(async () => {
    site = await startTestSite();
    dataDir = mkdtempSync(path.join(tmpdir(), "skiff-life-"));
  });
  after(async () => {
    await site.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("is ready within 30 s, and on SIGTERM finishes an in-flight scrape and exits 0", async () => {
    const { child, url } = await startServer(dataDir);
    const readyMs = await waitReady(url, 30_000);
    assert.ok(readyMs < 30_000);

    const inFlight = fetch(`${url}/v2/scrape`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: `${site.url}/slow?ms=1500`, formats: ["markdown"] }),
    });
    await new Promise((r) => setTimeout(r, 500));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");

    const res = await inFlight;
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      success: boolean;
      data: { metadata: { statusCode: number } };
    };
    assert.equal(body.success, true);
    assert.equal(body.data.metadata.statusCode, 200);
    assert.equal(await exited, 0);
  });

  it("says loudly at start when sessions are not isolated (SANDBOX=none)", async () => {
    const { child, url, log } = await startServer(dataDir, {
      SANDBOX: "none",
      SESSION_WARM_POOL: "0",
    });
    await waitReady(url, 30_000);
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    assert.match(log, /"level":40,.*SANDBOX=none: interact sessions are NOT isolated/);
    assert.equal(await exited, 0);
  });
});
