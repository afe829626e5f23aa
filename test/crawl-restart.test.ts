// A crawl outlives its server: `kill -9` in the middle of a 200-page crawl, and the next server
// on the same DATA_DIR finishes it, with every page stored and billed once. Real processes.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { SqliteStore } from "../src/store/sqlite-store.ts";
import { startTreeSite } from "./fixtures/tree-site.ts";

const MAIN = path.resolve(import.meta.dirname, "../src/main.ts");
const PAGES = 200;
const dataDir = mkdtempSync(path.join(tmpdir(), "skiff-crawl-restart-"));
const servers: ChildProcess[] = [];

async function startMain(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      PORT: "0",
      DATA_DIR: dataDir,
      ALLOW_PRIVATE_TARGETS: "true",
      SESSION_WARM_POOL: "0",
      SCRAPE_CONCURRENCY: "4",
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  servers.push(child);
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listen line in:\n${output}`)), 30_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return { url, child };
}

interface Status {
  status: string;
  completed: number;
  total: number;
  creditsUsed: number;
  next?: string;
  data: { metadata: { sourceURL: string } }[];
}

const status = async (base: string, id: string, query = ""): Promise<Status> =>
  (await (await fetch(`${base}/v2/crawl/${id}${query}`)).json()) as Status;

after(() => {
  for (const child of servers) child.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a crawl across a kill -9", () => {
  it("is finished by the next server on the same DATA_DIR: every page once, billed once", async () => {
    // Each page a little slow, so that the kill lands in the middle.
    const site = await startTreeSite(PAGES, () => 40);
    try {
      const first = await startMain();
      const started = await fetch(`${first.url}/v2/crawl`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          url: `${site.url}/p/0`,
          limit: PAGES,
          sitemap: "skip",
          crawlEntireDomain: true,
        }),
      });
      const { id } = (await started.json()) as { id: string };
      let before: Status;
      do {
        await delay(100);
        before = await status(first.url, id);
      } while (before.completed < 40);
      first.child.kill("SIGKILL");
      await new Promise((resolve) => first.child.once("exit", resolve));
      assert.ok(before.completed < PAGES, "killed in the middle");

      const second = await startMain();
      let end: Status;
      for (let i = 0; ; i++) {
        end = await status(second.url, id);
        if (end.status !== "scraping" || i > 600) break;
        await delay(200);
      }
      assert.equal(end.status, "completed");
      assert.deepEqual([end.completed, end.total, end.creditsUsed], [PAGES, PAGES, PAGES]);
      const all: Status["data"] = [];
      for (let skip = 0; skip < PAGES; skip += 100) {
        all.push(...(await status(second.url, id, `?skip=${skip}&limit=100`)).data);
      }
      const urls = all.map((d) => new URL(d.metadata.sourceURL).pathname);
      assert.equal(urls.length, PAGES, "each page stored once");
      assert.equal(new Set(urls).size, PAGES);
      second.child.kill("SIGTERM");
      await new Promise((resolve) => second.child.once("exit", resolve));

      const store = new SqliteStore(dataDir);
      const charges = (await store.ledger("bypass")).filter((l) => l.reason === "scrape");
      await store.close();
      assert.equal(charges.length, PAGES, "each page billed once");
      assert.equal(new Set(charges.map((c) => c.ref)).size, PAGES);
      const refetched = [...site.fetched.values()].filter((n) => n > 1).length;
      assert.ok(refetched <= 8, `${refetched} pages were fetched twice (at most those in flight)`);
    } finally {
      await site.close();
    }
  });
});
