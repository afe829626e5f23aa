// Session limits and lifetimes with short settings: the concurrency limit (429), a crashed host
// freeing its slot, and the end of a session by idle time and by TTL (410 afterwards).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { WebSocket } from "ws";
import { postJson, useSkiffAndSite } from "./helpers/skiff-harness.ts";

const t = useSkiffAndSite({
  SESSION_WARM_POOL: "1",
  MAX_CONCURRENT_SESSIONS: "2",
  SESSION_IDLE_SECONDS: "2",
  SESSION_TTL_SECONDS: "5",
});

async function scrape(): Promise<string> {
  const reply = await postJson(`${t.server.url}/v2/scrape`, { url: `${t.site.url}/article` });
  assert.equal(reply.status, 200);
  return String(reply.body.data.metadata.scrapeId);
}

const interact = (id: string, code = "await page.title()") =>
  postJson(`${t.server.url}/v2/scrape/${id}/interact`, { code });

async function stop(id: string): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${t.server.url}/v2/scrape/${id}/interact`, { method: "DELETE" });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const DESTROYED = { success: false, error: "Browser session has been destroyed." };

describe("session limits and lifetimes", () => {
  it("answers 429 at MAX_CONCURRENT_SESSIONS, and a crashed host frees its slot", async () => {
    const [a, b, c] = await Promise.all([scrape(), scrape(), scrape()]);
    assert.equal((await interact(a)).status, 200);
    assert.equal((await interact(b)).status, 200);
    const refused = await interact(c);
    assert.equal(refused.status, 429);
    assert.equal(
      refused.body.error,
      "You have reached the maximum number of concurrent jobs (2). Please wait for existing jobs to complete or destroy browser sessions before creating new ones.",
    );
    // The host kills itself from inside: its call cannot finish, and the session ends.
    const crashed = await interact(a, `process.kill(process.pid, "SIGKILL")`);
    assert.equal(crashed.status, 200);
    assert.equal(crashed.body.success, false);
    assert.match(String(crashed.body.error), /host exited/);
    assert.deepEqual((await interact(a)).body, DESTROYED);
    assert.equal((await interact(c)).status, 200, "the crashed session's slot is free again");
    await Promise.all([stop(b), stop(c)]);
  });

  it("ends a session after SESSION_IDLE_SECONDS without a call", async () => {
    const id = await scrape();
    assert.equal((await interact(id)).status, 200);
    await delay(3000);
    assert.deepEqual(await interact(id), { status: 410, body: DESTROYED });
    const stopped = await stop(id);
    assert.equal(stopped.status, 200);
    assert.equal(stopped.body.creditsBilled, undefined, "billed once, when it expired");
    assert.ok(stopped.body.sessionDurationMs >= 2000, `${stopped.body.sessionDurationMs} ms`);
  });

  it("does not end a session for idleness while a live viewer watches it", async () => {
    const id = await scrape();
    const reply = await interact(id);
    const viewer = new WebSocket(`${String(reply.body.liveViewUrl).replace(/^http/, "ws")}/ws`);
    await new Promise((resolve) => viewer.once("open", resolve));
    await delay(3000);
    assert.equal((await interact(id)).status, 200, "still alive after 3 s with idle at 2 s");
    viewer.close();
    await delay(3000);
    assert.deepEqual(await interact(id), { status: 410, body: DESTROYED });
  });

  it("ends a busy session at SESSION_TTL_SECONDS", async () => {
    const id = await scrape();
    const started = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - started < 15_000) {
      status = (await interact(id, "await page.waitForTimeout(500)")).status;
    }
    const lived = Date.now() - started;
    assert.equal(status, 410);
    assert.ok(lived >= 4500 && lived < 8000, `the session lived ${lived} ms`);
  });
});
