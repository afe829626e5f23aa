import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorMessageForZod } from "../scrape/scrape-request.ts";
import { interactRequestSchema } from "./interact-request.ts";

const parse = (body: unknown) => interactRequestSchema.safeParse(body);
const errorOf = (body: unknown) => {
  const r = parse(body);
  assert.equal(r.success, false);
  return r.success ? "" : errorMessageForZod(r.error);
};

describe("interactRequestSchema (spec §2.2)", () => {
  it("defaults language to node and timeout to 30 s", () => {
    const r = interactRequestSchema.parse({ code: "1" });
    assert.equal(r.language, "node");
    assert.equal(r.timeout, 30);
  });
  it("drops unknown keys instead of refusing them", () => {
    const r = interactRequestSchema.parse({ code: "1", profile: { name: "x" } });
    assert.equal("profile" in r, false);
  });
  it("takes fractional timeouts within 1..300", () => {
    assert.equal(interactRequestSchema.parse({ code: "1", timeout: 2.5 }).timeout, 2.5);
    assert.equal(errorOf({ code: "1", timeout: 0.5 }), "Bad Request");
    assert.equal(errorOf({ code: "1", timeout: 301 }), "Bad Request");
  });
  it("needs code or prompt, with the spec's message", () => {
    assert.equal(errorOf({ language: "node" }), "Either 'code' or 'prompt' must be provided.");
  });
  it("accepts both, and keeps both", () => {
    const r = interactRequestSchema.parse({ code: "1", prompt: "do it" });
    assert.equal(r.code, "1");
    assert.equal(r.prompt, "do it");
  });
  it("refuses an empty code as Bad Request", () => {
    assert.equal(errorOf({ code: "" }), "Bad Request");
  });
  it("refuses an unknown language and over-long code or prompt", () => {
    assert.equal(errorOf({ code: "1", language: "ruby" }), "Bad Request");
    assert.equal(errorOf({ code: "x".repeat(100_001) }), "Bad Request");
    assert.equal(errorOf({ prompt: "x".repeat(10_001) }), "Bad Request");
  });
  it("accepts the SDK's body with its origin", () => {
    const body = {
      code: "await page.title()",
      language: "node",
      timeout: 20,
      origin: "js-sdk@4.42.0",
    };
    assert.equal(parse(body).success, true);
  });
});
