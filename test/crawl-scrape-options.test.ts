// A crawl's `scrapeOptions` reach every page as /v2/scrape would apply them: formats with a
// screenshot and the model's json, actions, and a profile, which a crawl reads but never saves.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Firecrawl from "@mendable/firecrawl-js";
import { startScriptedLlm, type ScriptedLlm } from "./fixtures/scripted-llm.ts";
import { logInToProfile } from "./helpers/interact-client.ts";
import { startTestSite, type TestSite } from "./fixtures/site/test-site.ts";
import { postJson, startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

let llm: ScriptedLlm;
let server: RunningSkiff;
let site: TestSite;

before(async () => {
  llm = await startScriptedLlm();
  const model = { OPENAI_BASE_URL: llm.baseUrl, OPENAI_API_KEY: "k", MODEL_NAME: "scripted" };
  [server, site] = await Promise.all([startSkiff(model), startTestSite()]);
});
after(() => Promise.all([server.close(), site.close(), llm.close()]));

const sdk = () => new Firecrawl({ apiUrl: server.url, apiKey: "" });

type Doc = Record<string, any>;

async function crawl(seed: string, body: Record<string, unknown>): Promise<Doc[]> {
  const started = await postJson<{ id: string }>(`${server.url}/v2/crawl`, {
    url: `${site.url}${seed}`,
    ...body,
  });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${server.url}/v2/crawl/${started.body.id}`);
    const status = (await res.json()) as { status: string; data: Doc[] };
    if (status.status !== "scraping") {
      assert.equal(status.status, "completed");
      return status.data;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the crawl did not finish");
}

const pathOf = (doc: Doc) => new URL(String(doc.metadata.sourceURL)).pathname;

describe("a crawl's scrapeOptions", () => {
  it("give every page its formats (screenshot, json from the model) and its actions", async () => {
    llm.use(() => ({ text: JSON.stringify({ heading: "from the model" }) }));
    const docs = await crawl("/", {
      includePaths: ["^/(article|form)$"],
      scrapeOptions: {
        formats: [
          "markdown",
          "screenshot",
          { type: "json", schema: { type: "object", properties: { heading: { type: "string" } } } },
        ],
        actions: [{ type: "executeJavascript", script: "return location.pathname" }],
      },
    });
    assert.deepEqual(docs.map(pathOf).sort(), ["/article", "/form"]);
    for (const doc of docs) {
      assert.deepEqual(doc.json, { heading: "from the model" });
      assert.deepEqual(doc.actions.javascriptReturns, [{ type: "string", value: pathOf(doc) }]);
      const shot = await fetch(String(doc.screenshot));
      assert.equal(shot.status, 200);
      const bytes = Buffer.from(await shot.arrayBuffer());
      assert.equal(bytes.subarray(1, 4).toString(), "PNG", `${pathOf(doc)}'s screenshot`);
    }
    assert.equal(llm.requests.length >= 2, true, "the model read each page");
  });

  it("read a profile's login on every page and never save what the crawl did", async () => {
    await logInToProfile(sdk(), site.url, "crawler");
    const stored = async () => {
      const res = await fetch(`${server.url}/v2/profiles`);
      const { profiles } = (await res.json()) as { profiles: { name: string }[] };
      return JSON.stringify(profiles.find((p) => p.name === "crawler"));
    };
    const before = await stored();
    // The Python SDK always sends saveChanges, true by default: a crawl reads the profile anyway.
    const docs = await crawl("/dashboard", {
      scrapeOptions: { formats: ["markdown"], profile: { name: "crawler", saveChanges: true } },
    });
    assert.ok(docs.length >= 1);
    for (const doc of docs) assert.match(String(doc.markdown), /Welcome back, ada/, pathOf(doc));
    assert.equal(await stored(), before, "the crawl saved nothing back");
  });
});
