// A whole Skiff on Postgres (DATABASE_URL), through the official JS SDK: teams and credits, a scrape,
// an interact session billed once, a profile saved and read back, a crawl and a batch to their end.
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
  let site: TestSite;
  let sdk: Firecrawl;
  before(async () => {
    const url = await cluster.createDatabase();
    [server, site] = await Promise.all([
      startSkiff({
        DATABASE_URL: url,
        PROFILE_ENCRYPTION_KEY: "ab".repeat(32),
        AUTH: "keys",
        ADMIN_API_KEY: ADMIN_KEY,
        SESSION_WARM_POOL: "1",
      }),
      startTestSite(),
    ]);
    const res = await fetch(`${server.url}/admin/v1/teams`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "on-postgres", credits: 1000 }),
    });
    const team = (await res.json()) as { apiKey: string };
    sdk = new Firecrawl({ apiUrl: server.url, apiKey: team.apiKey });
  });
  after(async () => {
    await Promise.all([server?.close(), site?.close()]);
    cluster.stop();
  });

  const credits = async () => (await sdk.getCreditUsage()).remainingCredits;

  describe("Skiff on Postgres", () => {
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
  });
}
