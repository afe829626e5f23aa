// The warm pool on a real server: a burst of sessions makes it grow to the burst's size once the
// burst is over, the next session takes a host it opened ahead, and the pool shrinks back when no
// session starts for SESSION_WARM_POOL_IDLE_SECONDS. Observed through the server's own log.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestSite, type TestSite } from "./fixtures/site/test-site.ts";
import { interactClient } from "./helpers/interact-client.ts";
import { recordLog } from "./helpers/log-recorder.ts";
import { startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";
import { until } from "./helpers/until.ts";

/** The server's log lines, parsed; the test looks for its pool's and launcher's messages. */
const { logger, lines } = recordLog<{ warmHosts: number; stopped: number; hostPid: number }>();
const count = (msg: string) => lines.filter((l) => l.msg === msg).length;
const STARTED = "session host started";

describe("the warm pool grows after a burst and shrinks once idle", () => {
  const t = {} as { server: RunningSkiff; site: TestSite };
  const { sdk, scrape, run } = interactClient(t);
  before(async () => {
    t.site = await startTestSite();
    t.server = await startSkiff(
      {
        SESSION_WARM_POOL: "0",
        SESSION_WARM_POOL_MAX: "2",
        SESSION_WARM_POOL_IDLE_SECONDS: "10",
      },
      logger,
    );
  });
  after(async () => {
    await t.server.close();
    await t.site.close();
  });

  const call = async (id: string) => {
    const reply = await run(id, "node", "await page.title()");
    assert.equal(reply.success, true, reply.error);
  };

  it("opens two hosts ahead after two sessions at once, and the next session takes one", async () => {
    const ids = [await scrape("/article"), await scrape("/article")];
    await Promise.all(ids.map(call));
    assert.equal(count(STARTED), 2, "both launched on demand: the pool was empty");
    const grows = lines.filter((l) => l.msg === "warm session pool grows");
    assert.equal(grows.at(-1)?.warmHosts, 2, "to the burst's size");
    await until(() => count(STARTED) === 4, "two hosts opened ahead");
    await Promise.all(ids.map((id) => sdk().stopInteraction(id)));

    const openedAhead = lines
      .filter((l) => l.msg === STARTED)
      .slice(2)
      .map((l) => l.hostPid);
    const next = await scrape("/article");
    await call(next);
    const session = lines.findLast((l) => l.msg === "interact session started");
    assert.equal(typeof session?.hostPid, "number", "the log names the session's host");
    assert.ok(openedAhead.includes(session?.hostPid), "the third session took a host opened ahead");
    await sdk().stopInteraction(next);
  });

  it("stops the extra hosts once no session has started for the idle time", async () => {
    await until(() => count("warm session pool shrinks") === 1, "the pool to shrink", 25_000);
    const shrink = lines.find((l) => l.msg === "warm session pool shrinks");
    assert.equal(shrink?.warmHosts, 0, "back to SESSION_WARM_POOL");
    assert.ok((shrink?.stopped ?? 0) >= 1, "the waiting hosts were stopped");
  });
});
