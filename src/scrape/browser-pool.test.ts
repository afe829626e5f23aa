import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Page } from "playwright-core";
import { killBrowsers, testPool } from "../../test/fixtures/site/test-browser.ts";
import { startTestSite, type TestSite } from "../../test/fixtures/site/test-site.ts";
import { AppError } from "../errors.ts";
import { SessionStarts } from "../sessions/session-starts.ts";
import type { BrowserPool } from "./browser-pool.ts";
import { DEFAULT_CONTEXT_SPEC } from "./context-options.ts";

let site: TestSite;

before(async () => {
  site = await startTestSite();
});

after(async () => {
  await site.close();
});

const forever = () => AbortSignal.timeout(60_000);

async function visit(pool: BrowserPool, path = "/"): Promise<string> {
  const { value } = await pool.run(
    DEFAULT_CONTEXT_SPEC,
    async (page) => {
      await page.goto(site.url + path);
      return page.title();
    },
    { signal: forever() },
  );
  return value;
}

async function eventually(check: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) assert.fail("condition not met in time");
    await sleep(20);
  }
}

function isKind(kind: string) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.kind, kind);
    return true;
  };
}

describe("BrowserPool", () => {
  let pool: BrowserPool;

  before(async () => {
    pool = testPool(site, { SCRAPE_CONCURRENCY: 2, SCRAPE_WARM_CONTEXTS: 2 });
    assert.equal(pool.ready, false);
    await pool.start();
  });

  after(async () => {
    await pool.stop(1000);
  });

  test("is ready with its warm contexts made", () => {
    assert.equal(pool.ready, true);
    assert.equal(pool.stats.warmAvailable, 2);
  });

  test("a default scrape takes a warm context, and a replacement is warmed", async () => {
    const hits = pool.stats.warmHits;
    assert.equal(await visit(pool), "Skiff test site");
    assert.equal(pool.stats.warmHits, hits + 1);
    await eventually(() => pool.stats.warmAvailable === 2);
  });

  test("another spec gets a context of its own, made on demand", async () => {
    const hits = pool.stats.warmHits;
    const { value } = await pool.run(
      { mobile: true, skipTlsVerification: true },
      (page) => page.evaluate(() => navigator.userAgent),
      { signal: forever() },
    );
    assert.match(value, /Mobile/);
    assert.equal(pool.stats.warmHits, hits);
  });

  test("each scrape has a fresh context: no cookies or storage carry over", async () => {
    const write = async (page: Page) => {
      await page.goto(site.url + "/");
      await page.evaluate(() => {
        document.cookie = "visited=yes; max-age=3600";
        localStorage.setItem("visited", "yes");
      });
      return page.evaluate(() => document.cookie);
    };
    const read = async (page: Page) => {
      await page.goto(site.url + "/");
      return page.evaluate(() => [document.cookie, localStorage.getItem("visited")]);
    };
    assert.equal(
      (await pool.run(DEFAULT_CONTEXT_SPEC, write, { signal: forever() })).value,
      "visited=yes",
    );
    assert.deepEqual((await pool.run(DEFAULT_CONTEXT_SPEC, read, { signal: forever() })).value, [
      "",
      null,
    ]);
  });

  test("pages of one share key share a context; another key has its own; idle ones close", async () => {
    const cookie = (key: string, set?: string) =>
      pool.run(
        DEFAULT_CONTEXT_SPEC,
        async (page) => {
          await page.goto(site.url + "/");
          if (set) await page.evaluate((c) => (document.cookie = `${c}; max-age=60`), set);
          return page.evaluate(() => document.cookie);
        },
        { signal: forever(), share: key },
      );
    assert.equal((await cookie("crawl-a", "visitor=a")).value, "visitor=a");
    assert.equal(
      (await cookie("crawl-a")).value,
      "visitor=a",
      "the second page is the same visitor",
    );
    assert.equal((await cookie("crawl-b")).value, "", "another job is another visitor");
    assert.equal(pool.stats.sharedContexts, 2);
    const [one, two] = await Promise.all([cookie("crawl-a"), cookie("crawl-a")]);
    assert.deepEqual([one.value, two.value], ["visitor=a", "visitor=a"]);
    await eventually(() => pool.stats.sharedContexts === 0, 5_000);
    assert.equal((await cookie("crawl-a")).value, "", "a job idle past the limit starts afresh");
  });

  test("runs at most SCRAPE_CONCURRENCY at once; the rest wait in the queue", async () => {
    let running = 0;
    let peak = 0;
    // The first two hold their slots until both run (or 5 s pass), so the bound is reached.
    let arrived = 0;
    let open!: () => void;
    const bothRunning = new Promise<void>((resolve) => (open = resolve));
    const job = (n: number) => async () => {
      peak = Math.max(peak, ++running);
      if (n < 2) {
        if (++arrived === 2) open();
        await Promise.race([bothRunning, sleep(5000, undefined, { ref: false })]);
      }
      await sleep(100);
      running--;
    };
    const results = await Promise.all(
      [0, 1, 2, 3].map((n) => pool.run(DEFAULT_CONTEXT_SPEC, job(n), { signal: forever() })),
    );
    assert.equal(peak, 2);
    assert.equal(results[0]?.queuedMs, 0);
    assert.ok((results[2]?.queuedMs ?? 0) >= 100, `queued ${results[2]?.queuedMs} ms`);
    assert.ok((results[3]?.queuedMs ?? 0) >= 100);
  });

  test("an error in the scrape reaches the caller and frees the slot", async () => {
    const boom = () => Promise.reject(new Error("boom"));
    await assert.rejects(pool.run(DEFAULT_CONTEXT_SPEC, boom, { signal: forever() }), /boom/);
    assert.equal(await visit(pool), "Skiff test site");
  });

  test("the caller's abort ends a running scrape and closes its context", async () => {
    const signal = AbortSignal.timeout(300);
    const hang = (page: Page) => page.waitForTimeout(10_000);
    await assert.rejects(
      pool.run(DEFAULT_CONTEXT_SPEC, hang, { signal }),
      isKind("SCRAPE_TIMEOUT"),
    );
    await eventually(() => pool.stats.inFlight === 0);
  });

  test("a crashed browser fails its scrapes cleanly and is relaunched", async () => {
    const restarts = pool.stats.restarts;
    let began = false;
    const hang = (page: Page) => {
      began = true;
      return page.waitForTimeout(20_000);
    };
    const inFlight = pool.run(DEFAULT_CONTEXT_SPEC, hang, { signal: forever() });
    await eventually(() => began);
    assert.equal(killBrowsers(), 1);
    await assert.rejects(inFlight, isKind("SCRAPE_SITE_ERROR"));
    assert.equal(pool.stats.restarts, restarts + 1);
    assert.equal(await visit(pool, "/article"), "Skiff Test Article");
    await eventually(() => pool.ready && pool.stats.warmAvailable === 2);
  });
});

describe("BrowserPool: warm contexts wait for session starts", () => {
  const starts = new SessionStarts();
  let pool: BrowserPool;

  before(async () => {
    pool = testPool(site, { SCRAPE_WARM_CONTEXTS: 1 }, { yieldTo: starts });
    await pool.start();
  });

  after(async () => {
    await pool.stop(1000);
  });

  test("a scrape's warm context is made again only once no session is starting", async () => {
    assert.equal(pool.stats.warmAvailable, 1);
    const endStart = starts.begin();
    assert.equal(await visit(pool), "Skiff test site");
    await sleep(500);
    assert.equal(pool.stats.warmAvailable, 0, "no warm context while a session starts");
    endStart();
    await eventually(() => pool.stats.warmAvailable === 1);
  });

  test("scrapes during a start still run, each in a context of its own", async () => {
    const endStart = starts.begin();
    const hits = pool.stats.warmHits;
    assert.deepEqual(await Promise.all([visit(pool), visit(pool, "/article")]), [
      "Skiff test site",
      "Skiff Test Article",
    ]);
    assert.equal(pool.stats.warmHits, hits + 1, "the one warm context, then new ones");
    await sleep(300);
    assert.equal(pool.stats.warmAvailable, 0);
    endStart();
    await eventually(() => pool.stats.warmAvailable === 1);
  });
});

describe("BrowserPool: queue limits, recycling, stop", () => {
  let pool: BrowserPool;

  before(async () => {
    pool = testPool(site, {
      SCRAPE_CONCURRENCY: 1,
      SCRAPE_WARM_CONTEXTS: 1,
      BROWSER_RECYCLE_AFTER: 3,
      SCRAPE_QUEUE_TIMEOUT_MS: 1000,
    });
    await pool.start();
  });

  after(async () => {
    await pool.stop(1000);
  });

  const hold = (ms: number) =>
    pool.run(DEFAULT_CONTEXT_SPEC, () => sleep(ms), { signal: forever() });

  test("a scrape that waits longer than SCRAPE_QUEUE_TIMEOUT_MS is refused", async () => {
    const busy = hold(1300);
    await assert.rejects(hold(0), isKind("CONCURRENCY_QUEUE_TIMEOUT"));
    await busy;
  });

  test("an aborted scrape leaves the queue", async () => {
    const busy = hold(400);
    const controller = new AbortController();
    const queued = pool.run(DEFAULT_CONTEXT_SPEC, () => sleep(0), { signal: controller.signal });
    await eventually(() => pool.stats.queued === 1);
    controller.abort(new AppError("SCRAPE_TIMEOUT"));
    await assert.rejects(queued, isKind("SCRAPE_TIMEOUT"));
    assert.equal(pool.stats.queued, 0);
    await busy;
  });

  test("the browser is replaced after BROWSER_RECYCLE_AFTER scrapes, without a failure", async () => {
    const recycles = pool.stats.recycles;
    const runs = pool.stats.scrapesRun;
    const toNextRecycle = 3 - (runs % 3);
    for (let i = 0; i < toNextRecycle + 3; i++) assert.equal(await visit(pool), "Skiff test site");
    assert.equal(pool.stats.recycles, recycles + 2);
    await eventually(() => pool.stats.browsers === 1);
    assert.equal(pool.stats.restarts, 0);
  });

  test("a job's shared context moves to the new browser after a recycle", async () => {
    const recycles = pool.stats.recycles;
    const share = (n: number) =>
      pool.run(
        DEFAULT_CONTEXT_SPEC,
        async (page) => {
          await page.goto(`${site.url}/?page=${n}`);
          return page.title();
        },
        { signal: forever(), share: "recycled-job" },
      );
    for (let n = 0; n < 4; n++) assert.equal((await share(n)).value, "Skiff test site");
    assert.ok(pool.stats.recycles > recycles);
    await eventually(() => pool.stats.browsers === 1 && pool.stats.sharedContexts <= 1);
  });

  test("stop() lets in-flight work finish, refuses queued and new work", async () => {
    let began = false;
    const inFlight = pool.run(
      DEFAULT_CONTEXT_SPEC,
      async (page) => {
        began = true;
        await sleep(400);
        await page.goto(site.url + "/");
        return page.title();
      },
      { signal: forever() },
    );
    await eventually(() => began);
    const queued = hold(0);
    await eventually(() => pool.stats.queued === 1);
    const stopped = pool.stop(5000);
    assert.equal(pool.ready, false);
    await assert.rejects(queued, isKind("SERVICE_UNAVAILABLE"));
    await assert.rejects(hold(0), isKind("SERVICE_UNAVAILABLE"));
    assert.equal((await inFlight).value, "Skiff test site");
    await stopped;
    assert.equal(pool.stats.browsers, 0);
  });
});
