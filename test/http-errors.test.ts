// The error envelope of spec §1.7 for everything that fails before a browser is involved.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Fastify from "fastify";
import { registerErrorHandling } from "../src/api/error-handler.ts";
import { startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

let server: RunningSkiff;
before(async () => (server = await startSkiff()));
after(async () => server.close());

async function inject(method: "GET" | "POST", url: string, payload?: string) {
  const res = await server.skiff.app.inject({
    method,
    url,
    ...(payload !== undefined && { payload, headers: { "content-type": "application/json" } }),
  });
  return { status: res.statusCode, body: res.json<Record<string, any>>() };
}

describe("request errors", () => {
  it("malformed JSON is 400 BAD_REQUEST_INVALID_JSON", async () => {
    const r = await inject("POST", "/v2/scrape", '{"url": ');
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, {
      success: false,
      code: "BAD_REQUEST_INVALID_JSON",
      error: "Bad request, malformed JSON",
    });
  });

  it("a body over 10 MB is 413", async () => {
    const big = JSON.stringify({ url: "https://example.com", pad: "x".repeat(10 * 1024 * 1024) });
    const r = await inject("POST", "/v2/scrape", big);
    assert.equal(r.status, 413);
    assert.deepEqual(r.body, { success: false, error: "Request body is too large" });
  });

  it("an unknown key is 400 with the exact message and zod details", async () => {
    const r = await inject("POST", "/v2/scrape", JSON.stringify({ url: "https://a.com", foo: 1 }));
    assert.equal(r.status, 400);
    assert.equal(r.body.success, false);
    assert.equal(r.body.code, "BAD_REQUEST");
    assert.equal(
      r.body.error,
      "Unrecognized key in body -- please review the v2 API documentation for request body changes",
    );
    assert.ok(Array.isArray(r.body.details));
    assert.equal(r.body.details[0].code, "unrecognized_keys");
    assert.deepEqual(r.body.details[0].keys, ["foo"]);
  });

  it("a custom refinement's message is the error", async () => {
    const body = JSON.stringify({ url: "https://a.com", waitFor: 3000, timeout: 5000 });
    const r = await inject("POST", "/v2/scrape", body);
    assert.equal(r.status, 400);
    assert.equal(r.body.error, "waitFor must not exceed half of timeout");
    assert.ok(r.body.details.some((i: { message: string }) => i.message === r.body.error));
  });

  it("a plain type error is 'Bad Request' with details", async () => {
    const r = await inject(
      "POST",
      "/v2/scrape",
      JSON.stringify({ url: "https://a.com", mobile: 3 }),
    );
    assert.equal(r.status, 400);
    assert.equal(r.body.error, "Bad Request");
    assert.deepEqual(r.body.details[0].path, ["mobile"]);
  });

  it("a missing url is 400", async () => {
    const r = await inject("POST", "/v2/scrape", "{}");
    assert.equal(r.status, 400);
    assert.equal(r.body.code, "BAD_REQUEST");
  });

  it("an LLM format without a provider is a 503 that names the settings", async () => {
    const question = { type: "question", question: "why?" };
    for (const format of [{ type: "json", prompt: "x" }, "summary", question]) {
      const body = { url: "https://a.com", formats: [format] };
      const r = await inject("POST", "/v2/scrape", JSON.stringify(body));
      assert.equal(r.status, 503);
      assert.equal(r.body.code, "LLM_NOT_CONFIGURED");
      assert.match(r.body.error, /OPENAI_BASE_URL/);
    }
  });

  it("an LLM format Skiff does not implement is a clear 400", async () => {
    const format = { type: "deterministicJson", schema: { type: "object" } };
    const body = { url: "https://a.com", formats: [format] };
    const r = await inject("POST", "/v2/scrape", JSON.stringify(body));
    assert.equal(r.status, 400);
    assert.match(r.body.error, /'deterministicJson' format is not supported by Skiff/);
  });

  it("a json schema that does not compile is a 400 that says why", async () => {
    const schema = { type: "object", properties: { name: { type: "strin" } } };
    const body = { url: "https://a.com", formats: [{ type: "json", schema }] };
    const r = await inject("POST", "/v2/scrape", JSON.stringify(body));
    assert.equal(r.status, 400);
    assert.equal(r.body.code, "BAD_REQUEST");
    assert.match(
      r.body.error,
      /^The JSON schema is invalid: schema\/properties\/name\/type must be/,
    );
  });

  it("a cloud-only format is a clear 400", async () => {
    const body = { url: "https://a.com", formats: ["branding"] };
    const r = await inject("POST", "/v2/scrape", JSON.stringify(body));
    assert.equal(r.status, 400);
    assert.match(r.body.error, /'branding' format is only available on Firecrawl's cloud/);
  });

  it("an unknown route is 404 in the envelope", async () => {
    const r = await inject("GET", "/v2/nothing-here");
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, {
      success: false,
      code: "NOT_FOUND",
      error: "Not found: GET /v2/nothing-here",
    });
  });

  it("GET /v2/scrape/{id} with a bad id is 400 with the exact message", async () => {
    for (const id of ["None", "123", "not-a-uuid"]) {
      const r = await inject("GET", `/v2/scrape/${id}`);
      assert.equal(r.status, 400);
      assert.equal(r.body.error, "Invalid job ID format. Job ID must be a valid UUID.");
    }
  });

  it("GET /v2/scrape/{id} of an unknown id is 404 Job not found.", async () => {
    const r = await inject("GET", "/v2/scrape/0198f000-0000-7000-8000-000000000000");
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { success: false, error: "Job not found." });
  });

  it("an expired or made-up file name is 404", async () => {
    const r = await inject("GET", "/files/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.png");
    assert.equal(r.status, 404);
    assert.equal(r.body.success, false);
  });
});

describe("health", () => {
  it("answers / and liveness", async () => {
    assert.equal((await inject("GET", "/")).body.message, "Skiff API");
    assert.deepEqual((await inject("GET", "/v0/health/liveness")).body, { status: "ok" });
  });
  it("readiness is ok once the pool is up", async () => {
    const r = await inject("GET", "/v0/health/readiness");
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { status: "ok" });
  });
});

describe("unexpected errors", () => {
  it("are 500 UNKNOWN_ERROR with an id and no internals", async () => {
    const app = Fastify({ logger: false });
    registerErrorHandling(app);
    app.get("/boom", () => {
      throw new Error("secret internal detail at /srv/skiff/db.ts:42");
    });
    const res = await app.inject({ method: "GET", url: "/boom" });
    assert.equal(res.statusCode, 500);
    const body = res.json<Record<string, string>>();
    assert.equal(body.code, "UNKNOWN_ERROR");
    assert.match(
      body.error ?? "",
      /^An error occurred\. Please check your logs for more details\. Error ID: [0-9a-f-]{36}$/,
    );
    assert.doesNotMatch(res.body, /secret|db\.ts|stack/);
  });
});
