// The warm pool on a real server: a burst of sessions makes it grow to the burst's size once the
// burst is over, the next session takes a host it opened ahead, and the pool shrinks back when no
// session starts for SESSION_WARM_POOL_IDLE_SECONDS. Observed through the server's own log.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { pino } from "pino";
import { startTestSite, type TestSite } from "./fixtures/site/test-site.ts";
import { postJson, startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

/** The server's log lines, parsed; the test looks for its pool's and launcher's messages. */
const lines: { msg?: string; warmHosts?: number; stopped?: number; hostPid?: number }[] = [];
const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
const count = (msg: string) => lines.filter((l) => l.msg === msg).length;
const STARTED = "session host started";

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await delay(50);
  }
}

describe("the warm pool grows after a burst and shrinks once idle", () => {
  let server: RunningSkiff;
  let site: TestSite;
  before(async () => {
    site = await startTestSite();
    server = await startSkiff(
      {
        SESSION_WARM_POOL: "0",
        SESSION_WARM_POOL_MAX: "2",
        SESSION_WARM_POOL_IDLE_SECONDS: "10",
      },
      logger,
    );
  });
  after(async () => {
    await server.close();
    await site.close();
  });

  const scrape = async () => {
    const { body } = await postJson(`${server.url}/v2/scrape`, {
      url: `${site.url}/article`,
      formats: ["markdown"],
    });
    return body.data.metadata.scrapeId as string;
  };
  const call = async (id: string) => {
    const { body } = await postJson(`${server.url}/v2/scrape/${id}/interact`, {
      code: "await page.title()",
    });
    assert.equal(body.success, true, body.error);
  };
  const stop = (id: string) =>
    fetch(`${server.url}/v2/scrape/${id}/interact`, { method: "DELETE" }).then((r) => r.text());

  it("opens two hosts ahead after two sessions at once, and the next session takes one", async () => {
    const ids = [await scrape(), await scrape()];
    await Promise.all(ids.map(call));
    assert.equal(count(STARTED), 2, "both launched on demand: the pool was empty");
    const grows = lines.filter((l) => l.msg === "warm session pool grows");
    assert.equal(grows.at(-1)?.warmHosts, 2, "to the burst's size");
    await until(() => count(STARTED) === 4, "two hosts opened ahead");
    await Promise.all(ids.map(stop));

    const openedAhead = lines
      .filter((l) => l.msg === STARTED)
      .slice(2)
      .map((l) => l.hostPid);
    const next = await scrape();
    await call(next);
    const session = lines.findLast((l) => l.msg === "interact session started");
    assert.equal(typeof session?.hostPid, "number", "the log names the session's host");
    assert.ok(openedAhead.includes(session?.hostPid), "the third session took a host opened ahead");
    await stop(next);
  });

  it("stops the extra hosts once no session has started for the idle time", async () => {
    await until(() => count("warm session pool shrinks") === 1, "the pool to shrink", 25_000);
    const shrink = lines.find((l) => l.msg === "warm session pool shrinks");
    assert.equal(shrink?.warmHosts, 0, "back to SESSION_WARM_POOL");
    assert.ok((shrink?.stopped ?? 0) >= 1, "the waiting hosts were stopped");
  });
});
