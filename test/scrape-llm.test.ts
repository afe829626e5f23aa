// The LLM formats, `json` and `summary`: a real Skiff, real Chromium on the local test site, and
// a scripted OpenAI-compatible model on loopback that records what it was sent.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Firecrawl from "@mendable/firecrawl-js";
import { z } from "zod";
import {
  LLM_SETTING_NAMES,
  startScriptedLlm,
  type ScriptedLlm,
  type ScriptedTurn,
} from "./fixtures/scripted-llm.ts";
import { startTestSite, type TestSite } from "./fixtures/site/test-site.ts";
import { postJson, startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

let llm: ScriptedLlm;
let server: RunningSkiff;
let site: TestSite;

before(async () => {
  llm = await startScriptedLlm();
  [server, site] = await Promise.all([
    startSkiff({
      OPENAI_BASE_URL: llm.baseUrl,
      OPENAI_API_KEY: "test-key",
      MODEL_NAME: "scripted-model",
    }),
    startTestSite(),
  ]);
});
after(async () => {
  await Promise.all([server.close(), site.close(), llm.close()]);
});

const scrape = (body: Record<string, unknown>) => postJson(`${server.url}/v2/scrape`, body);
const answer = (turn: ScriptedTurn) => llm.use(() => turn);
const products = () => `${site.url}/products`;

const PRODUCTS = {
  products: [
    { name: "Blue Kettle", price: 24 },
    { name: "Red Teapot", price: 31.5 },
  ],
};

const SCHEMA = {
  type: "object",
  properties: {
    products: {
      type: "array",
      items: {
        type: "object",
        properties: { name: { type: "string" }, price: { type: "number" } },
        required: ["name", "price"],
      },
    },
  },
  required: ["products"],
};

/** Everything the model was sent, as one string: system and user messages. */
const sentText = (index = 0) => JSON.stringify(llm.requests[index]?.messages ?? []);

describe("json with a schema", () => {
  it("is the model's answer; the model got the page and the schema", async () => {
    answer({ text: JSON.stringify(PRODUCTS) });
    const r = await scrape({ url: products(), formats: [{ type: "json", schema: SCHEMA }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.data.json, PRODUCTS);
    assert.deepEqual(Object.keys(r.body.data), ["json", "metadata"]);
    assert.equal(r.body.data.metadata.creditsUsed, 5);
    assert.equal(llm.requests.length, 1);
    assert.equal(llm.requests[0]?.model, "scripted-model");
    assert.match(sentText(), /Blue Kettle/);
    assert.match(sentText(), /Red Teapot/);
    assert.match(sentText(), /untrusted data/);
    assert.deepEqual(llm.requests[0]?.responseFormat, {
      type: "json_schema",
      json_schema: { schema: SCHEMA, strict: false, name: "response" },
    });
  });

  it("sits after markdown and before metadata, and GET replays it", async () => {
    answer({ text: JSON.stringify(PRODUCTS) });
    const formats = ["markdown", { type: "json", schema: SCHEMA }];
    const r = await scrape({ url: products(), formats });
    assert.deepEqual(Object.keys(r.body.data), ["markdown", "json", "metadata"]);
    assert.match(r.body.data.markdown, /Blue Kettle/);
    const id = r.body.data.metadata.scrapeId;
    const stored = await fetch(`${server.url}/v2/scrape/${id}`).then((res) => res.json());
    assert.deepEqual(stored, { success: true, data: r.body.data });
  });

  it("an answer that breaks the schema is an error that says where", async () => {
    answer({ text: JSON.stringify({ products: [{ name: 3, price: 24 }] }) });
    const r = await scrape({ url: products(), formats: [{ type: "json", schema: SCHEMA }] });
    assert.equal(r.status, 500);
    assert.deepEqual(r.body, {
      success: false,
      code: "LLM_EXTRACTION_FAILED",
      error:
        "The model's answer does not match the requested schema: json/products/0/name must be string.",
    });
  });

  it("an answer missing a required key is an error", async () => {
    answer({ text: "{}" });
    const r = await scrape({ url: products(), formats: [{ type: "json", schema: SCHEMA }] });
    assert.equal(r.status, 500);
    assert.match(r.body.error, /must have required property 'products'/);
  });

  it("an answer that is not JSON is an error", async () => {
    answer({ text: "Sure! The kettle costs 24." });
    const r = await scrape({ url: products(), formats: [{ type: "json", schema: SCHEMA }] });
    assert.equal(r.status, 500);
    assert.equal(r.body.code, "LLM_EXTRACTION_FAILED");
    assert.equal(r.body.error, "The model's answer is not valid JSON.");
  });

  it("costs 5 plus 1 with zero data retention", async () => {
    answer({ text: JSON.stringify(PRODUCTS) });
    const formats = [{ type: "json", schema: SCHEMA }];
    const r = await scrape({ url: products(), formats, zeroDataRetention: true });
    assert.equal(r.body.data.metadata.creditsUsed, 6);
  });

  it("is never served from the cache: each scrape asks the model", async () => {
    answer({ text: JSON.stringify(PRODUCTS) });
    const body = { url: products(), formats: [{ type: "json", schema: SCHEMA }], maxAge: 60_000 };
    await scrape(body);
    const second = await scrape(body);
    assert.deepEqual(second.body.data.json, PRODUCTS);
    assert.equal(second.body.data.metadata.cacheState, undefined);
    assert.equal(llm.requests.length, 2);
  });
});

describe("json with a prompt only", () => {
  it("asks for a JSON object, with the caller's prompt, and returns it", async () => {
    answer({ text: '{"cheapest":"Blue Kettle"}' });
    const prompt = "Which product is the cheapest?";
    const r = await scrape({ url: products(), formats: [{ type: "json", prompt }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.data.json, { cheapest: "Blue Kettle" });
    assert.deepEqual(llm.requests[0]?.responseFormat, { type: "json_object" });
    assert.match(sentText(), /Which product is the cheapest\?/);
  });
});

describe("summary", () => {
  it("is the model's text; it costs nothing more", async () => {
    answer({ text: "  A shop page listing a blue kettle and a red teapot.\n" });
    const r = await scrape({ url: products(), formats: ["summary"] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.data, {
      summary: "A shop page listing a blue kettle and a red teapot.",
      metadata: r.body.data.metadata,
    });
    assert.equal(r.body.data.metadata.creditsUsed, 1);
    assert.equal(llm.requests[0]?.responseFormat, undefined);
    assert.match(sentText(), /Red Teapot/);
  });

  it("comes with json in Firecrawl's order: markdown, json, summary, metadata", async () => {
    llm.use((request) =>
      request.responseFormat ? { text: JSON.stringify(PRODUCTS) } : { text: "Two products." },
    );
    const formats = ["summary", { type: "json", schema: SCHEMA }, "markdown"];
    const r = await scrape({ url: products(), formats });
    assert.deepEqual(Object.keys(r.body.data), ["markdown", "json", "summary", "metadata"]);
    assert.equal(r.body.data.summary, "Two products.");
    assert.equal(llm.requests.length, 2);
  });
});

describe("when the model fails", () => {
  it("an HTTP error from the provider is LLM_EXTRACTION_FAILED, retried once, without its address", async () => {
    answer({ status: 500, error: "the scripted model is down" });
    const r = await scrape({ url: products(), formats: ["summary"] });
    assert.equal(r.status, 500);
    assert.deepEqual(r.body, {
      success: false,
      code: "LLM_EXTRACTION_FAILED",
      error: "The model failed to answer: its provider answered HTTP 500.",
    });
    assert.equal(llm.requests.length, 2);
  });
});

describe("the official SDK", () => {
  // The SDK 4.42 turns a zod 4 schema into an empty one (its zod-to-json-schema fallback knows
  // zod 3 only), so a zod 4 user passes `z.toJSONSchema`: a draft 2020-12 schema.
  it("gets .json for a JSON schema made by zod 4", async () => {
    answer({ text: JSON.stringify(PRODUCTS) });
    const shape = z.object({
      products: z.array(z.object({ name: z.string(), price: z.number() })),
    });
    const schema = z.toJSONSchema(shape);
    const sdk = new Firecrawl({ apiUrl: server.url, apiKey: "" });
    const doc = await sdk.scrape(products(), {
      formats: [{ type: "json", schema, prompt: "List the products." }],
    });
    assert.deepEqual(doc.json, PRODUCTS);
    assert.equal(doc.markdown, undefined);
    assert.match(sentText(), /List the products\./);
    const sent = llm.requests[0]?.responseFormat as any;
    assert.equal(sent.json_schema.schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  });

  it("an answer that breaks the schema surfaces as an SdkError", async () => {
    answer({ text: JSON.stringify({ products: [{ name: "Blue Kettle" }] }) });
    const sdk = new Firecrawl({ apiUrl: server.url, apiKey: "" });
    const formats = [{ type: "json" as const, schema: SCHEMA }];
    await assert.rejects(sdk.scrape(products(), { formats }), (e: Error & { status?: number }) => {
      assert.equal(e.status, 500);
      assert.match(e.message, /json\/products\/0 must have required property 'price'/);
      return true;
    });
  });
});

describe("without a model provider", () => {
  let bare: RunningSkiff;
  before(async () => (bare = await startSkiff()));
  after(async () => bare.close());

  it("json and summary are 503 LLM_NOT_CONFIGURED, naming the settings", async () => {
    for (const format of [{ type: "json", schema: SCHEMA }, "summary"]) {
      const r = await postJson(`${bare.url}/v2/scrape`, { url: products(), formats: [format] });
      assert.equal(r.status, 503);
      assert.equal(r.body.code, "LLM_NOT_CONFIGURED");
      for (const name of LLM_SETTING_NAMES) {
        assert.ok(r.body.error.includes(name), `${name} in ${r.body.error}`);
      }
    }
  });
});
