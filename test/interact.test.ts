// Interact through the official Firecrawl JS SDK, unchanged: a real sandboxed session per scrape,
// driven by Node code against the local test site.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Firecrawl from "@mendable/firecrawl-js";
import { LLM_SETTING_NAMES } from "./fixtures/scripted-llm.ts";
import { sdkError } from "./helpers/interact-client.ts";
import { postJson, useSkiffAndSite } from "./helpers/skiff-harness.ts";
import { until } from "./helpers/until.ts";

const t = useSkiffAndSite({ SESSION_WARM_POOL: "1" });
const sdk = () => new Firecrawl({ apiUrl: t.server.url, apiKey: "" });

/** Scrapes `path` on the test site and returns its scrape id. */
async function scrape(path: string, options: Record<string, unknown> = {}): Promise<string> {
  const doc = await sdk().scrape(`${t.site.url}${path}`, { formats: ["markdown"], ...options });
  const id = doc.metadata?.scrapeId;
  assert.ok(id, "the scrape has an id");
  return id;
}

/** Runs `code` and asserts it succeeded; returns its `result`. */
async function result(id: string, code: string): Promise<string | undefined> {
  const reply = await sdk().interact(id, { code });
  assert.equal(reply.success, true, reply.error);
  return reply.result;
}

describe("interact through the SDK", () => {
  it("waits for hydration, returns the last expression and prints to stdout", async () => {
    const id = await scrape("/client-rendered?delay=1500");
    const first = await sdk().interact(id, {
      code: `await page.waitForSelector(".stats");
        console.log("rows:", await page.locator(".stats li").count());
        await page.locator("h1").innerText()`,
    });
    assert.equal(first.success, true, first.error);
    assert.equal(first.result, "Hydrated content");
    assert.equal(first.stdout, "rows: 2\n");
    assert.equal(first.stderr, "");
    assert.equal(first.exitCode, 0);
    assert.equal(first.killed, false);
    const texts = await result(id, `await page.locator(".stats li").allInnerTexts()`);
    assert.equal(texts, JSON.stringify(["Users: 1234", "Orders: 5678"]));
  });

  it("answers every field of the spec's reply", async () => {
    const id = await scrape("/article");
    const reply = await postJson(`${t.server.url}/v2/scrape/${id}/interact`, {
      code: "await page.title()",
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(Object.keys(reply.body).sort(), [
      "cdpUrl",
      "exitCode",
      "interactiveLiveViewUrl",
      "killed",
      "liveViewUrl",
      "result",
      "sessionId",
      "stderr",
      "stdout",
      "success",
    ]);
    assert.match(String(reply.body.sessionId), /^[0-9a-f-]{36}$/);
    assert.equal(reply.body.result, "Skiff Test Article");
    assert.match(
      String(reply.body.cdpUrl),
      /^ws:\/\/127\.0\.0\.1:\d+\/v2\/cdp\/[0-9a-f-]{36}\/[\w-]{32}$/,
    );
    assert.match(
      String(reply.body.liveViewUrl),
      /^http:\/\/127\.0\.0\.1:\d+\/v2\/live\/[0-9a-f-]{36}\/[\w-]{32}$/,
    );
    assert.notEqual(reply.body.interactiveLiveViewUrl, reply.body.liveViewUrl);
  });

  it("clicks a tab in one call and reads the revealed panel in the next", async () => {
    const id = await scrape("/tabs");
    assert.equal(await result(id, `await page.locator("#two").isVisible()`), "false");
    assert.equal(await result(id, `await page.click("button[data-panel=two]")`), "");
    assert.equal(
      await result(id, `await page.locator("#two").innerText()`),
      "Second panel content revealed",
    );
  });

  it("starts from the scrape's actions, and navigates to another page", async () => {
    const actions = [{ type: "click", selector: "button[data-panel=two]" }];
    const id = await scrape("/tabs", { actions });
    assert.equal(await result(id, `await page.locator("#two").isVisible()`), "true");
    assert.equal(await result(id, "context.pages().length"), "1");
    await result(id, `await page.goto(${JSON.stringify(`${t.site.url}/form`)})`);
    assert.equal(await result(id, "page.url()"), `${t.site.url}/form`);
    assert.equal(await result(id, "await page.title()"), "Form page");
  });

  it("leaves one content tab when the page opens a stray one as it loads", async () => {
    const id = await scrape("/popup");
    assert.equal(
      await result(id, "context.pages().map((p) => p.url()).join()"),
      `${t.site.url}/popup`,
    );
  });

  it("reports a throw as exitCode 1 with the error, over HTTP 200", async () => {
    const id = await scrape("/article");
    const reply = await sdk().interact(id, { code: `throw new Error("boom from user code")` });
    assert.equal(reply.success, false);
    assert.equal(reply.exitCode, 1);
    assert.equal(reply.killed, false);
    assert.match(reply.stderr ?? "", /Error: boom from user code/);
    assert.match(reply.error ?? "", /boom from user code/);
    assert.equal(await result(id, "1 + 1"), "2", "the session lives on");
  });

  it("reports code that does not parse as exitCode 1 with a caret, and keeps the session", async () => {
    const id = await scrape("/article");
    const reply = await sdk().interact(id, { code: "const x = 1;\nconst = 2" });
    assert.equal(reply.success, false);
    assert.equal(reply.exitCode, 1);
    assert.equal(reply.killed, false);
    assert.equal(reply.stdout, "");
    assert.match(reply.stderr ?? "", /^interact\.js:2\nconst = 2\n {6}\^\n\nSyntaxError: /);
    assert.equal(reply.error, reply.stderr);
    assert.equal(
      await result(id, "await page.title()"),
      "Skiff Test Article",
      "the session lives on",
    );
  });

  it("kills a runaway call at its timeout and keeps the page for the next", async () => {
    const id = await scrape("/tabs");
    await result(id, `await page.click("button[data-panel=two]")`);
    const started = performance.now();
    const reply = await sdk().interact(id, { code: "while (true) {}", timeout: 2 });
    const seconds = (performance.now() - started) / 1000;
    assert.equal(reply.killed, true);
    assert.equal(reply.success, false);
    assert.ok(seconds >= 2 && seconds < 6, `came back after ${seconds.toFixed(1)} s`);
    assert.equal(await result(id, "page.url()"), `${t.site.url}/tabs`);
    assert.equal(await result(id, `await page.locator("#two").isVisible()`), "true");
  });

  it("runs calls on one session one at a time, in order", async () => {
    const id = await scrape("/article");
    await result(id, "globalThis.log = []");
    const calls = [300, 0, 100].map((ms, i) =>
      sdk().interact(id, { code: `await page.waitForTimeout(${ms}); globalThis.log.push(${i})` }),
    );
    await Promise.all(calls);
    assert.equal(await result(id, "globalThis.log"), "[0,1,2]");
  });

  it("stops with stopInteraction, bills, and answers 410 afterwards", async () => {
    const id = await scrape("/article");
    await result(id, "await page.title()");
    const stopped = await sdk().stopInteraction(id);
    assert.equal(stopped.success, true);
    assert.equal(stopped.creditsBilled, 2, "a short session costs one browser-minute");
    assert.ok((stopped.sessionDurationMs ?? -1) >= 0);
    assert.equal((stopped as { cleanupQueued?: boolean }).cleanupQueued, true);
    const gone = await sdkError(sdk().interact(id, { code: "1" }));
    assert.equal(gone.status, 410);
    assert.equal(gone.message, "Browser session has been destroyed.");
    const again = await sdk().stopInteraction(id);
    assert.equal(again.creditsBilled, undefined, "a second DELETE bills nothing");
  });
});

describe("interact errors, with the spec's messages", () => {
  const interact = (id: string, body: unknown) =>
    postJson(`${t.server.url}/v2/scrape/${id}/interact`, body);
  const missing = "0190a5b2-1234-7000-8000-000000000000";

  it("400 for a bad job id, an empty body or a bad timeout", async () => {
    const badId = await interact("not-a-uuid", { code: "1" });
    assert.equal(badId.status, 400);
    assert.equal(badId.body.error, "Invalid job ID format. Job ID must be a valid UUID.");
    const empty = await interact(missing, {});
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error, "Either 'code' or 'prompt' must be provided.");
    const timeout = await interact(missing, { code: "1", timeout: 301 });
    assert.equal(timeout.status, 400);
    assert.equal(timeout.body.error, "Bad Request");
  });

  it("404 for an unknown scrape, and for DELETE without a session", async () => {
    const reply = await interact(missing, { code: "1" });
    assert.deepEqual(reply, { status: 404, body: { success: false, error: "Job not found." } });
    const err = await sdkError(sdk().stopInteraction(missing));
    assert.equal(err.status, 404);
    assert.equal(err.message, "Browser session not found.");
  });

  it("503 for a prompt with no LLM provider, naming the settings, after the job's own checks", async () => {
    const unknown = await interact(missing, { prompt: "click the button" });
    assert.equal(unknown.status, 404);
    const id = await scrape("/article");
    const prompt = await interact(id, { prompt: "click the button" });
    assert.equal(prompt.status, 503);
    assert.equal(prompt.body.code, "LLM_NOT_CONFIGURED");
    for (const name of LLM_SETTING_NAMES) {
      assert.match(String(prompt.body.error), new RegExp(name));
    }
    // Refused before a session was made: nothing to stop.
    const stop = await sdkError(sdk().stopInteraction(id));
    assert.equal(stop.status, 404);
  });

  it("409 when a zero-data-retention scrape kept no replay context", async () => {
    const id = await scrape("/article", { zeroDataRetention: true });
    const reply = await interact(id, { code: "1" });
    assert.equal(reply.status, 409);
    assert.equal(
      reply.body.error,
      "Replay context is unavailable for this scrape job because the source URL was not retained.",
    );
  });

  it("409 when the replay fails: the page no longer has what the actions need", async () => {
    const key = crypto.randomUUID();
    const id = await scrape(`/first-visit?key=${key}`, {
      actions: [{ type: "executeJavascript", script: "document.querySelector('#once').click()" }],
    });
    const reply = await interact(id, { code: "1" });
    assert.equal(reply.status, 409);
    assert.equal(
      reply.body.error,
      "Failed to initialize browser session from the original scrape context. Please rerun the scrape and try again.",
    );
    // The failed start is over, so the scrape pool's warm contexts, which wait for starts, return.
    const pool = t.server.skiff.pool;
    await until(() => pool.stats.warmAvailable === 2, "the scrape pool's warm contexts");
  });
});
