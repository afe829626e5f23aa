// Profiles (spec §2.10) with the official SDK: log in once in an interact session, and later
// scrapes with the same profile are logged in. The state is sealed at rest and survives a
// restart; one writer at a time, readers always.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import Firecrawl from "@mendable/firecrawl-js";
import { logInToProfile } from "./helpers/interact-client.ts";
import { startTestSite, type TestSite } from "./fixtures/site/test-site.ts";
import { postJson, startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

const LOCKED =
  "Another session is currently writing to this profile. Only one writer is allowed at a time. You can still access it with saveChanges: false, or try again later.";

describe("profiles", () => {
  let site: TestSite;
  let server: RunningSkiff;
  let dataDir: string;
  const sdk = () => new Firecrawl({ apiUrl: server.url, apiKey: "" });
  const start = () => startSkiff({ DATA_DIR: dataDir, SESSION_WARM_POOL: "1" });

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "skiff-profiles-"));
    [site, server] = await Promise.all([startTestSite(), start()]);
  });
  after(async () => {
    await Promise.all([server.close(), site.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function scrape(page: string, profile: { name: string; saveChanges?: boolean }) {
    return sdk().scrape(`${site.url}${page}`, { formats: ["markdown"], profile });
  }

  async function open(page: string, profile: { name: string; saveChanges?: boolean }) {
    const doc = await scrape(page, profile);
    const id = String(doc.metadata?.scrapeId);
    const reply = await postJson(`${server.url}/v2/scrape/${id}/interact`, { code: "page.url()" });
    return { id, reply };
  }

  /** Opens a writer session on `profile` whose page stores `greeting`; returns its scrape id. */
  async function greetInSession(profile: string, greeting: string): Promise<string> {
    const doc = await scrape("/dashboard", { name: profile });
    const id = String(doc.metadata?.scrapeId);
    const set = await sdk().interact(id, {
      code: `await page.evaluate(() => localStorage.setItem("greeting", ${JSON.stringify(greeting)}))`,
    });
    assert.equal(set.success, true, set.error);
    return id;
  }

  it("logs in once in a session; a later scrape with the profile is logged in", async () => {
    const before = await scrape("/dashboard", { name: "ada", saveChanges: false });
    assert.match(before.markdown ?? "", /Please log in/);
    await logInToProfile(sdk(), site.url, "ada");
    const after = await scrape("/dashboard", { name: "ada", saveChanges: false });
    assert.match(after.markdown ?? "", /Welcome back, ada/);
    assert.match(after.markdown ?? "", /hello ada/, "localStorage came back too");
    const other = await scrape("/dashboard", { name: "someone-else", saveChanges: false });
    assert.match(other.markdown ?? "", /Please log in/);
  });

  it("keeps the cookie out of plain text anywhere under DATA_DIR", () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        const stat = statSync(full);
        if (stat.isDirectory()) walk(full);
        else if (stat.isFile()) files.push(full);
      }
    };
    walk(dataDir);
    assert.ok(
      files.some((f) => f.endsWith("skiff.db")),
      "the database is there",
    );
    for (const file of files) {
      assert.equal(readFileSync(file).includes("token-ada"), false, `${file} holds the cookie`);
    }
  });

  it("allows one writer at a time, readers beside it, and frees the lease when a writer dies", async () => {
    const first = await open("/article", { name: "shared" });
    assert.equal(first.reply.status, 200);
    const second = await open("/article", { name: "shared" });
    assert.deepEqual(second.reply, { status: 409, body: { success: false, error: LOCKED } });
    const reader = await open("/article", { name: "shared", saveChanges: false });
    assert.equal(reader.reply.status, 200, "a reader beside the writer");
    await sdk().stopInteraction(first.id);
    const third = await open("/article", { name: "shared" });
    assert.equal(third.reply.status, 200, "a new writer once the first stopped");
    const crash = await postJson(`${server.url}/v2/scrape/${third.id}/interact`, {
      code: `process.kill(process.pid, "SIGKILL")`,
    });
    assert.equal(crash.body.success, false);
    const fourth = await open("/article", { name: "shared" });
    assert.equal(fourth.reply.status, 200, "a killed writer freed the lease");
    await sdk().stopInteraction(fourth.id);
    await sdk().stopInteraction(reader.id);
  });

  it("saves a writer's state after its last call even when its host dies", async () => {
    const id = await greetInSession("crashy", "kept across a crash");
    const crash = await sdk().interact(id, { code: `process.kill(process.pid, "SIGKILL")` });
    assert.equal(crash.success, false);
    const after = await scrape("/dashboard", { name: "crashy", saveChanges: false });
    assert.match(after.markdown ?? "", /kept across a crash/);
  });

  it("saves a writer's state after its last call when its host cannot read it at the end", async () => {
    const id = await greetInSession("stuck", "kept past a stuck tab");
    // A second after this call (its snapshot is taken), the page's own script loops for good:
    // the state's read at the end times out on it.
    const loop = await sdk().interact(id, {
      code: "await page.evaluate(() => { setTimeout(() => { while (true) {} }, 1000) })",
    });
    assert.equal(loop.success, true, loop.error);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await sdk().stopInteraction(id);
    const after = await scrape("/dashboard", { name: "stuck", saveChanges: false });
    assert.match(after.markdown ?? "", /kept past a stuck tab/);
  });

  it("survives a restart of the server", async () => {
    await server.close();
    server = await start();
    const doc = await scrape("/dashboard", { name: "ada", saveChanges: false });
    assert.match(doc.markdown ?? "", /Welcome back, ada/);
  });

  it("lists a team's profiles and deletes one", async () => {
    const listed = (await (await fetch(`${server.url}/v2/profiles`)).json()) as {
      profiles: { name: string; size: number; updatedAt: string }[];
    };
    const ada = listed.profiles.find((p) => p.name === "ada");
    assert.ok(
      ada && ada.size > 0 && !Number.isNaN(Date.parse(ada.updatedAt)),
      JSON.stringify(listed),
    );
    const remove = () => fetch(`${server.url}/v2/profiles/ada`, { method: "DELETE" });
    assert.equal((await remove()).status, 200);
    const gone = await remove();
    assert.equal(gone.status, 404);
    assert.deepEqual(await gone.json(), {
      success: false,
      code: "NOT_FOUND",
      error: "Profile not found.",
    });
    const remove128 = await fetch(`${server.url}/v2/profiles/${"p".repeat(128)}`, {
      method: "DELETE",
    });
    assert.equal(remove128.status, 404, "the longest valid name reaches the route");
    const tooLong = await fetch(`${server.url}/v2/profiles/${"p".repeat(129)}`, {
      method: "DELETE",
    });
    assert.equal(tooLong.status, 400);
    const doc = await scrape("/dashboard", { name: "ada", saveChanges: false });
    assert.match(doc.markdown ?? "", /Please log in/);
  });
});
