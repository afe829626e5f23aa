// A crawl's `prompt` and `/v2/crawl/params-preview`, with a scripted OpenAI-compatible model.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startScriptedLlm, type ScriptedLlm } from "./fixtures/scripted-llm.ts";
import { startTestSite, type TestSite } from "./fixtures/site/test-site.ts";
import { postJson, startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

let llm: ScriptedLlm;
let server: RunningSkiff;
let bare: RunningSkiff;
let site: TestSite;

before(async () => {
  llm = await startScriptedLlm();
  const model = { OPENAI_BASE_URL: llm.baseUrl, OPENAI_API_KEY: "k", MODEL_NAME: "scripted" };
  [server, bare, site] = await Promise.all([startSkiff(model), startSkiff(), startTestSite()]);
});
after(() => Promise.all([server.close(), bare.close(), site.close(), llm.close()]));

const ONLY_ARTICLE = { includePaths: ["^/article$"], limit: 10 };

async function finished(
  base: string,
  id: string,
): Promise<{ data: { metadata: { sourceURL: string } }[] }> {
  for (let i = 0; i < 200; i++) {
    const status = (await (await fetch(`${base}/v2/crawl/${id}`)).json()) as {
      status: string;
      data: { metadata: { sourceURL: string } }[];
    };
    if (status.status !== "scraping") return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the crawl did not finish");
}

describe("crawl prompts", () => {
  it("params-preview answers the model's options; the model saw the site's URLs and the request", async () => {
    llm.use(() => ({ text: JSON.stringify(ONLY_ARTICLE) }));
    const r = await postJson(`${server.url}/v2/crawl/params-preview`, {
      url: `${site.url}/`,
      prompt: "only the article",
      origin: "ignored",
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { success: true, data: { url: `${site.url}/`, ...ONLY_ARTICLE } });
    const sent = JSON.stringify(llm.requests.at(-1)?.messages);
    assert.ok(sent.includes(`${site.url}/tabs`), "the site's map");
    assert.ok(sent.includes("only the article"));
  });

  it("a prompted crawl fills in what the caller did not send, and reports both", async () => {
    llm.use(() => ({ text: JSON.stringify({ ...ONLY_ARTICLE, limit: 1 }) }));
    const r = await postJson<{
      id: string;
      promptGeneratedOptions: unknown;
      finalCrawlerOptions: Record<string, unknown>;
    }>(`${server.url}/v2/crawl`, { url: `${site.url}/`, prompt: "only the article", limit: 5 });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.promptGeneratedOptions, { ...ONLY_ARTICLE, limit: 1 });
    assert.deepEqual(r.body.finalCrawlerOptions.includePaths, ["^/article$"]);
    assert.equal(r.body.finalCrawlerOptions.limit, 5, "the caller's own value stays");
    const status = await finished(server.url, r.body.id);
    const paths = status.data.map((d) => new URL(d.metadata.sourceURL).pathname).sort();
    assert.deepEqual(paths, ["/article"], "the seed is denied by the rules, its links followed");
  });

  it("refuses a bad preview body, a failing model, and answers 503 without a model", async () => {
    const bad = await postJson(`${server.url}/v2/crawl/params-preview`, {
      url: "nope",
      prompt: "x",
    });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.error), /^Invalid request parameters: /);
    llm.use(() => ({ status: 500, error: "down" }));
    const failed = await postJson(`${server.url}/v2/crawl/params-preview`, {
      url: site.url,
      prompt: "x",
    });
    assert.deepEqual(
      [failed.status, failed.body.error],
      [400, "Failed to process natural language prompt. Please try rephrasing."],
    );
    for (const path of ["/v2/crawl/params-preview", "/v2/crawl"]) {
      const none = await postJson(`${bare.url}${path}`, { url: site.url, prompt: "x" });
      assert.deepEqual([none.status, none.body.code], [503, "LLM_NOT_CONFIGURED"]);
    }
  });
});
