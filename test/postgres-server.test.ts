// A whole Skiff on Postgres (DATABASE_URL), through the official JS SDK: teams and credits, a scrape,
// an interact session billed once, a profile saved and read back, a crawl and a batch to their end;
// and a second server on the same database, against which a team's credits and scrape slots hold.
// The store contract runs on Postgres in src/store/postgres-store.test.ts; this is the server on it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Firecrawl from "@mendable/firecrawl-js";
import { startTestSite, type TestSite } from "./fixtures/site/test-site.ts";
import { logInToProfile } from "./helpers/interact-client.ts";
import { startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";
import { startThrowawayPostgres } from "./helpers/throwaway-postgres.ts";

const ADMIN_KEY = "admin-key-for-the-postgres-test-0123456789";
const cluster = startThrowawayPostgres();

if (!cluster) {
  const why = "Postgres is not installed (./skiff installs it as root; CI requires it)";
  console.warn(`SKIPPED: Skiff on Postgres: ${why}`);
  void it.skip(`Skiff on Postgres: ${why}`);
} else {
  let server: RunningSkiff;
  let second: RunningSkiff;
  let site: TestSite;
  let sdk: Firecrawl;
  let apiKey: string;
  before(async () => {
    const env = {
      DATABASE_URL: await cluster.createDatabase(),
      PROFILE_ENCRYPTION_KEY: "ab".repeat(32),
      CLUSTER_SECRET: "cd".repeat(16),
      INTERNAL_PORT: "0",
      AUTH: "keys",
      ADMIN_API_KEY: ADMIN_KEY,
      TEAM_MAX_CONCURRENT_SCRAPES: "1",
      TEAM_MAX_CONCURRENT_SESSIONS: "1",
      TEAM_RATE_LIMIT_PER_MINUTE: "30",
    };
    server = await startSkiff({ ...env, SESSION_WARM_POOL: "1" });
    [second, site] = await Promise.all([startSkiff(env), startTestSite()]);
    apiKey = await teamKey("on-postgres", 1000);
    sdk = new Firecrawl({ apiUrl: server.url, apiKey });
  });
  after(async () => {
    await Promise.all([server?.close(), second?.close(), site?.close()]);
    cluster.stop();
  });

  async function teamKey(name: string, credits: number): Promise<string> {
    const res = await fetch(`${server.url}/admin/v1/teams`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ name, credits }),
    });
    return ((await res.json()) as { apiKey: string }).apiKey;
  }

  /** The same slow scrape sent to both servers, overlapping; their statuses, sorted. */
  async function scrapeOnBoth(key: string): Promise<number[]> {
    const scrape = (base: string) =>
      fetch(`${base}/v2/scrape`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({
          url: `${site.url}/article`,
          waitFor: 4000,
          timeout: 30000,
          maxAge: 0,
        }),
      }).then((res) => res.status);
    // The second starts while the first surely holds its credit and slot (it waits 4 s).
    const first = scrape(server.url);
    await new Promise((resolve) => setTimeout(resolve, 500));
    return (await Promise.all([first, scrape(second.url)])).sort();
  }

  const credits = async () => (await sdk.getCreditUsage()).remainingCredits;

  describe("Skiff on Postgres", () => {
    it("holds a team's rate limit across two servers: 30 a minute, 45 requests, 30 pass", async () => {
      const key = await teamKey("rate-limited", 10);
      const statuses = await Promise.all(
        Array.from({ length: 45 }, (_, i) =>
          fetch(`${[server, second][i % 2]?.url}/v2/team/credit-usage`, {
            headers: { authorization: `Bearer ${key}` },
          }).then((res) => res.status),
        ),
      );
      assert.equal(statuses.filter((s) => s === 200).length, 30, JSON.stringify(statuses));
      assert.equal(statuses.filter((s) => s === 429).length, 15);
    });

    it("holds a team's credits and scrape slots across two servers on one database", async () => {
      assert.deepEqual(await scrapeOnBoth(await teamKey("one-credit", 1)), [200, 402]);
      // TEAM_MAX_CONCURRENT_SCRAPES is 1: the second server's scrape finds the slot taken.
      assert.deepEqual(await scrapeOnBoth(await teamKey("one-slot", 100)), [200, 429]);
    });

    it("holds a team's session slot across two servers", async () => {
      const key = await teamKey("one-session", 100);
      const open = (base: string) =>
        fetch(`${base}/v2/browser`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ ttl: 60 }),
        });
      const first = await open(server.url);
      assert.equal(first.status, 200);
      const { id } = (await first.json()) as { id: string };
      // TEAM_MAX_CONCURRENT_SESSIONS is 1: the other server finds the team's slot taken.
      const refused = await open(second.url);
      assert.equal(refused.status, 429);
      const closed = await fetch(`${server.url}/v2/browser/${id}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${key}` },
      });
      assert.equal(closed.status, 200);
    });

    it("scrapes, bills the scrape, and serves it back", async () => {
      const before = await credits();
      const doc = await sdk.scrape(`${site.url}/article`, { formats: ["markdown"] });
      assert.match(doc.markdown ?? "", /known content/);
      assert.equal(await credits(), before - 1);
    });

    it("runs an interact session, bills it once when stopped, and keeps a profile", async () => {
      const before = await credits();
      await logInToProfile(sdk, site.url, "pg-profile");
      const spent = before - (await credits());
      assert.ok(spent >= 2, `a scrape and a session, ${spent} credits`);
      const after = await sdk.scrape(`${site.url}/dashboard`, {
        formats: ["markdown"],
        profile: { name: "pg-profile", saveChanges: false },
      });
      assert.match(after.markdown ?? "", /Welcome back, ada/);
    });

    it("crawls and batch-scrapes to the end, each page stored once", async () => {
      const crawl = await sdk.crawl(`${site.url}/`, { limit: 10, pollInterval: 1, timeout: 120 });
      assert.equal(crawl.status, "completed");
      const paths = crawl.data.map((d) => new URL(d.metadata?.sourceURL ?? "").pathname);
      assert.equal(new Set(paths).size, paths.length);
      assert.ok(paths.includes("/article"));
      const batch = await sdk.batchScrape([`${site.url}/article`, `${site.url}/tabs`], {
        options: { formats: ["markdown"] },
        pollInterval: 1,
        timeout: 120,
      });
      assert.deepEqual([batch.status, batch.completed], ["completed", 2]);
    });

    // Last: it stops this file's Postgres.
    it("answers 503 with Retry-After, not a 500, while Postgres cannot be reached", async () => {
      cluster.stop();
      const res = await fetch(`${server.url}/v2/scrape`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ url: `${site.url}/article` }),
      });
      assert.equal(res.status, 503, await res.clone().text());
      assert.equal(res.headers.get("retry-after"), "5");
      assert.deepEqual(await res.json(), {
        success: false,
        code: "SERVICE_UNAVAILABLE",
        error: "The database cannot be reached; try again shortly.",
      });
    });
  });
}
