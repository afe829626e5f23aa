import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, type Dirent } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import Firecrawl from "@mendable/firecrawl-js";
import { call, ledgerOf, type Reply } from "./helpers/http-call.ts";
import { sdkError } from "./helpers/interact-client.ts";
import { useSkiffAndSite } from "./helpers/skiff-harness.ts";
import { startTestSite, type TestSite } from "./fixtures/site/test-site.ts";

const ADMIN_KEY = "admin-key-for-the-teams-test-0123456789";
const INSUFFICIENT =
  "Insufficient credits to perform this request. For more credits, you can upgrade your plan at https://firecrawl.dev/pricing or try changing the request limit to a lower value.";

/** A team made through the admin API, with its one key. */
async function createTeam(
  base: string,
  name: string,
  credits: number,
): Promise<{ id: string; key: string }> {
  const reply = await call(base, "POST", "/admin/v1/teams", { name, credits }, ADMIN_KEY);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return { id: reply.body.id, key: reply.body.apiKey };
}

describe("teams, keys and credits (AUTH=keys)", () => {
  const t = useSkiffAndSite({
    AUTH: "keys",
    ADMIN_API_KEY: ADMIN_KEY,
    TEAM_MAX_CONCURRENT_SESSIONS: "1",
    TEAM_MAX_CONCURRENT_SCRAPES: "1",
  });
  const api = (method: string, url: string, key?: string, body?: unknown) =>
    call(t.server.url, method, url, body, key);
  const scrape = async (key: string, page: string, extra: object = {}) => {
    const reply = await api("POST", "/v2/scrape", key, { url: `${t.site.url}${page}`, ...extra });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body.data as { metadata: { scrapeId: string; creditsUsed: number } };
  };
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  before(async () => {
    a = await createTeam(t.server.url, "Team A", 200);
    b = await createTeam(t.server.url, "Team B", 100);
  });

  it("401 without a key and with an unknown one, with Firecrawl's messages", async () => {
    const missing = await api("POST", "/v2/scrape", undefined, { url: `${t.site.url}/article` });
    assert.deepEqual(missing.body, { success: false, error: "Unauthorized: Token missing" });
    assert.equal(missing.status, 401);
    const unknown = await api(
      "GET",
      "/v2/team/credit-usage",
      "fc-00000000000000000000000000000000",
    );
    assert.deepEqual(unknown.body, { success: false, error: "Unauthorized: Invalid token" });
    assert.equal(unknown.status, 401);
    assert.equal((await api("GET", "/v2/browser", "not-even-a-key")).status, 401);
    assert.equal(
      (await api("POST", `/v2/scrape/${crypto.randomUUID()}/interact`, undefined, { code: "1" }))
        .status,
      401,
    );
  });

  it("the official SDK works with a key, and without one gets the 401 as an SDK error", async () => {
    const sdk = new Firecrawl({ apiUrl: t.server.url, apiKey: a.key });
    const doc = await sdk.scrape(`${t.site.url}/article`, { formats: ["markdown"] });
    assert.match(doc.markdown ?? "", /\w/);
    const usage = await sdk.getCreditUsage();
    assert.equal(typeof usage.remainingCredits, "number");
    const anonymous = new Firecrawl({ apiUrl: t.server.url, apiKey: "" });
    const err = await sdkError(anonymous.scrape(`${t.site.url}/article`));
    assert.equal(err.status, 401);
    assert.match(err.message, /Unauthorized: Token missing/);
  });

  it("another team's key gets 403 on interact, stop and GET, and 404 for its profiles", async () => {
    const { metadata } = await scrape(a.key, "/tabs", { profile: { name: "a-profile" } });
    const id = metadata.scrapeId;
    const get = await api("GET", `/v2/scrape/${id}`, b.key);
    assert.deepEqual(
      [get.status, get.body.error],
      [403, "You are not allowed to access this resource."],
    );
    const interact = await api("POST", `/v2/scrape/${id}/interact`, b.key, { code: "1" });
    assert.deepEqual([interact.status, interact.body.error], [403, "Forbidden."]);
    const own = await api("POST", `/v2/scrape/${id}/interact`, a.key, {
      code: "await page.title()",
    });
    assert.equal(own.body.success, true, JSON.stringify(own.body));
    const stop = await api("DELETE", `/v2/scrape/${id}/interact`, b.key);
    assert.deepEqual([stop.status, stop.body.error], [403, "Forbidden."]);
    const execute = await api("POST", `/v2/browser/${own.body.sessionId}/execute`, b.key, {
      code: "1",
    });
    assert.deepEqual([execute.status, execute.body.error], [403, "Forbidden."]);
    const stopBrowser = await api("DELETE", `/v2/browser/${own.body.sessionId}`, b.key);
    assert.deepEqual([stopBrowser.status, stopBrowser.body.error], [403, "Forbidden."]);
    assert.equal((await api("DELETE", `/v2/scrape/${id}/interact`, a.key)).status, 200);
    const mine = await api("GET", "/v2/profiles", a.key);
    assert.deepEqual(
      mine.body.profiles.map((p: { name: string }) => p.name),
      ["a-profile"],
    );
    assert.deepEqual((await api("GET", "/v2/profiles", b.key)).body.profiles, []);
    assert.equal((await api("DELETE", "/v2/profiles/a-profile", b.key)).status, 404);
    assert.equal((await api("GET", "/v2/profiles", a.key)).body.profiles.length, 1);
  });

  it("429 past the team's concurrent sessions, while another team still gets one", async () => {
    const first = (await scrape(a.key, "/article")).metadata.scrapeId;
    const second = (await scrape(a.key, "/tabs")).metadata.scrapeId;
    assert.equal(
      (await api("POST", `/v2/scrape/${first}/interact`, a.key, { code: "1" })).body.success,
      true,
    );
    const over = await api("POST", `/v2/scrape/${second}/interact`, a.key, { code: "1" });
    assert.equal(over.status, 429);
    assert.equal(
      over.body.error,
      "You have reached the maximum number of concurrent jobs (1). Please wait for existing jobs to complete or destroy browser sessions before creating new ones.",
    );
    const other = (await scrape(b.key, "/article")).metadata.scrapeId;
    assert.equal(
      (await api("POST", `/v2/scrape/${other}/interact`, b.key, { code: "1" })).body.success,
      true,
    );
    await api("DELETE", `/v2/scrape/${first}/interact`, a.key);
    await api("DELETE", `/v2/scrape/${other}/interact`, b.key);
    assert.equal(
      (await api("POST", `/v2/scrape/${second}/interact`, a.key, { code: "1" })).body.success,
      true,
    );
    await api("DELETE", `/v2/scrape/${second}/interact`, a.key);
  });

  it("429 past the team's concurrent scrapes", async () => {
    const slow = api("POST", "/v2/scrape", b.key, {
      url: `${t.site.url}/article`,
      waitFor: 1500,
      maxAge: 0,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const over = await api("POST", "/v2/scrape", b.key, {
      url: `${t.site.url}/article`,
      maxAge: 0,
    });
    assert.equal(over.status, 429);
    assert.match(over.body.error, /maximum number of concurrent jobs \(1\)/);
    assert.equal((await slow).status, 200);
  });

  it("402 for a scrape with no credits and for a session beyond them, with the spec's messages", async () => {
    const broke = await createTeam(t.server.url, "Broke", 0);
    const refused = await api("POST", "/v2/scrape", broke.key, { url: `${t.site.url}/article` });
    assert.deepEqual([refused.status, refused.body.error], [402, INSUFFICIENT]);
    const poor = await createTeam(t.server.url, "Poor", 10);
    const { metadata } = await scrape(poor.key, "/article");
    const session = await api("POST", `/v2/scrape/${metadata.scrapeId}/interact`, poor.key, {
      code: "1",
    });
    assert.equal(session.status, 402);
    assert.equal(
      session.body.error,
      "Insufficient credits for a 600s browser session (requires ~20 credits). For more credits, you can upgrade your plan at https://firecrawl.dev/pricing.",
    );
    const short = await api("POST", "/v2/browser", poor.key, { ttl: 120 });
    assert.equal(short.status, 200, "4 credits for 120 s fit in the 9 left");
    assert.equal(
      (await api("DELETE", `/v2/browser/${short.body.id}`, poor.key)).body.creditsBilled,
      2,
    );
  });

  it("402 for the second of two sessions started at once when the credits cover one", async () => {
    const team = await createTeam(t.server.url, "Thirty", 30);
    const ids = [
      (await scrape(team.key, "/article")).metadata.scrapeId,
      (await scrape(team.key, "/tabs")).metadata.scrapeId,
    ];
    const replies = await Promise.all(
      ids.map((id) => api("POST", `/v2/scrape/${id}/interact`, team.key, { code: "1" })),
    );
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, 402], "28 credits, 20 each");
    const opened = ids[replies.findIndex((r) => r.status === 200)];
    assert.equal((await api("DELETE", `/v2/scrape/${opened}/interact`, team.key)).status, 200);
  });

  it("the ledger holds exactly what each scrape and session said it cost, and credit-usage agrees", async () => {
    const c = await createTeam(t.server.url, "Team C", 500);
    let told = 0;
    told += (await scrape(c.key, "/article", { maxAge: 0 })).metadata.creditsUsed;
    told += (await scrape(c.key, "/article", { zeroDataRetention: true })).metadata.creditsUsed;
    const replayable = (await scrape(c.key, "/tabs")).metadata;
    told += replayable.creditsUsed;
    const failed = await api("POST", "/v2/scrape", c.key, { url: "http://nowhere.invalid/" });
    assert.notEqual(failed.body.success, true, "a failed scrape");
    await api("POST", `/v2/scrape/${replayable.scrapeId}/interact`, c.key, { code: "1" });
    told += (await api("DELETE", `/v2/scrape/${replayable.scrapeId}/interact`, c.key)).body
      .creditsBilled;
    const browser = await api("POST", "/v2/browser", c.key, { ttl: 60 });
    told += (await api("DELETE", `/v2/browser/${browser.body.id}`, c.key)).body.creditsBilled;
    const again = await api("DELETE", `/v2/browser/${browser.body.id}`, c.key);
    assert.equal(again.body.creditsBilled, undefined, "a second DELETE bills nothing");
    const ledger = ledgerOf(t.server.dataDir, c.id);
    const charges = ledger.filter((line) => line.reason !== "grant");
    assert.equal(charges.length, 5, JSON.stringify(ledger));
    assert.equal(-charges.reduce((sum, line) => sum + line.delta, 0), told);
    const usage = await api("GET", "/v2/team/credit-usage", c.key);
    assert.deepEqual(usage.body, {
      success: true,
      data: {
        remainingCredits: 500 - told,
        planCredits: 500,
        billingPeriodStart: null,
        billingPeriodEnd: null,
      },
    });
  });
});

/** Skiff as a user runs it (`node src/main.ts`), its logs captured. */
async function startMain(
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess; logs: () => string }> {
  const root = path.resolve(import.meta.dirname, "..");
  const child = spawn(process.execPath, [path.join(root, "src/main.ts")], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listen line in:\n${output}`)), 30_000);
    child.stdout?.on("data", () => {
      const match = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return { url, child, logs: () => output };
}

/** Every file under `dir`, as bytes (a running session's caches come and go meanwhile). */
function filesUnder(dir: string): { file: string; bytes: Buffer }[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return []; // removed while we walked
  }
  return entries.flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(file);
    if (!entry.isFile()) return [];
    try {
      return [{ file, bytes: readFileSync(file) }];
    } catch {
      return [];
    }
  });
}

describe("teams on a server run as `node src/main.ts`", () => {
  let site: TestSite;
  let server: Awaited<ReturnType<typeof startMain>>;
  const dataDir = mkdtempSync(path.join(tmpdir(), "skiff-teams-"));
  let team: { id: string; key: string };
  before(async () => {
    site = await startTestSite();
    server = await startMain({
      PORT: "0",
      DATA_DIR: dataDir,
      AUTH: "keys",
      ADMIN_API_KEY: ADMIN_KEY,
      ALLOW_PRIVATE_TARGETS: "true",
      SESSION_IDLE_SECONDS: "2",
      SESSION_WARM_POOL: "0",
      TEAM_RATE_LIMIT_PER_MINUTE: "40",
      LOG_LEVEL: "debug",
    });
    team = await createTeam(server.url, "Logged", 1000);
  });
  after(async () => {
    server.child.kill("SIGTERM");
    await new Promise((resolve) => server.child.once("exit", resolve));
    await site.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("bills a session ended by DELETE and by idle expiry at the same moment once", async () => {
    for (const delayMs of [1990, 2000, 2010]) {
      const scraped = await call(
        server.url,
        "POST",
        "/v2/scrape",
        { url: `${site.url}/article` },
        team.key,
      );
      const id = String(scraped.body.data?.metadata?.scrapeId);
      const first = await call(
        server.url,
        "POST",
        `/v2/scrape/${id}/interact`,
        { code: "1" },
        team.key,
      );
      assert.equal(first.body.success, true, JSON.stringify(first.body));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const stop = await call(
        server.url,
        "DELETE",
        `/v2/scrape/${id}/interact`,
        undefined,
        team.key,
      );
      assert.equal(stop.status, 200);
      const lines = ledgerOf(dataDir, team.id).filter(
        (l) => l.ref === `session:${first.body.sessionId}`,
      );
      assert.equal(lines.length, 1, `one charge for the session (delay ${delayMs} ms)`);
      if (stop.body.creditsBilled !== undefined)
        assert.equal(-(lines[0]?.delta ?? 0), stop.body.creditsBilled);
    }
  });

  it("429 past the team's request rate, saying when to retry", async () => {
    let refused: Reply | undefined;
    for (let i = 0; i < 45 && !refused; i++) {
      const reply = await call(server.url, "GET", "/v2/team/credit-usage", undefined, team.key);
      if (reply.status === 429) refused = reply;
      else assert.equal(reply.status, 200);
    }
    assert.ok(refused, "refused within the minute");
    assert.match(
      refused.body.error,
      /^Rate limit exceeded\. Consumed \(req\/min\): 40, Remaining \(req\/min\): 0\..*retry after \d+s/,
    );
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
  });

  it("keeps no key in plain text under DATA_DIR or in its logs", async () => {
    const bad = await call(
      server.url,
      "GET",
      "/v2/team/credit-usage",
      undefined,
      "fc-thisisnotakey000000000000000000",
    );
    assert.equal(bad.status, 401);
    const secrets = [team.key, ADMIN_KEY, "fc-thisisnotakey000000000000000000"];
    const files = filesUnder(dataDir);
    assert.ok(
      files.some((f) => f.file.endsWith("skiff.db")),
      "the database was searched",
    );
    for (const { file, bytes } of files) {
      for (const secret of secrets) assert.equal(bytes.indexOf(secret), -1, `${secret} in ${file}`);
    }
    assert.match(server.logs(), /"msg":"incoming request"/, "request logs were searched");
    for (const secret of secrets)
      assert.ok(!server.logs().includes(secret), `${secret} in the logs`);
  });
});
