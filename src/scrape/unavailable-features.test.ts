import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAppError } from "../errors.ts";
import { scrapeRequestSchema } from "./scrape-request.ts";
import { refuseUnavailable } from "./unavailable-features.ts";

const request = (body: Record<string, unknown>) =>
  scrapeRequestSchema.parse({ url: "https://a.test/", ...body });

/** The refusal's status and message, or undefined when the request may go ahead. */
function refusal(body: Record<string, unknown>, hasLlm: boolean) {
  try {
    refuseUnavailable(request(body), hasLlm);
    return undefined;
  } catch (e) {
    assert.ok(isAppError(e));
    return { status: e.status, code: e.code, message: e.message };
  }
}

describe("refuseUnavailable", () => {
  it("lets json and summary through when a model is configured", () => {
    const formats = ["markdown", "summary", { type: "json", prompt: "p" }];
    assert.equal(refusal({ formats }, true), undefined);
  });

  it("answers 503 LLM_NOT_CONFIGURED for them without a model", () => {
    for (const format of ["summary", { type: "json", prompt: "p" }]) {
      const r = refusal({ formats: [format] }, false);
      assert.equal(r?.status, 503);
      assert.equal(r?.code, "LLM_NOT_CONFIGURED");
    }
  });

  it("answers 400 for the LLM formats Skiff does not implement, model or not", () => {
    const formats = [{ type: "highlights", query: "q" }];
    for (const hasLlm of [true, false]) {
      const r = refusal({ formats }, hasLlm);
      assert.equal(r?.status, 400);
      assert.match(r?.message ?? "", /^The 'highlights' format is not supported by Skiff/);
    }
  });

  it("answers 400 before 503: what Skiff never does comes first", () => {
    const r = refusal({ formats: ["summary", "branding"] }, false);
    assert.equal(r?.status, 400);
    assert.equal(refusal({ formats: ["summary"], redactPII: true }, false)?.status, 400);
  });
});
