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
  const MODEL_FORMATS = [
    "summary",
    { type: "json", prompt: "p" },
    { type: "question", question: "q" },
    { type: "highlights", query: "q" },
    { type: "query", prompt: "q", mode: "directQuote" },
  ];
  const tracking = (modes: string[]) => ["markdown", { type: "changeTracking", modes }];

  it("lets the model formats through when a model is configured", () => {
    assert.equal(refusal({ formats: ["markdown", ...MODEL_FORMATS] }, true), undefined);
    assert.equal(refusal({ formats: tracking(["json", "git-diff"]) }, true), undefined);
  });

  it("answers 503 LLM_NOT_CONFIGURED for them without a model", () => {
    const formatLists = [...MODEL_FORMATS.map((f) => [f]), tracking(["json"])];
    for (const formats of formatLists) {
      const r = refusal({ formats }, false);
      assert.equal(r?.status, 503, JSON.stringify(formats));
      assert.equal(r?.code, "LLM_NOT_CONFIGURED");
    }
  });

  it("tracks changes in git-diff mode without a model", () => {
    assert.equal(refusal({ formats: tracking(["git-diff"]) }, false), undefined);
    assert.equal(refusal({ formats: tracking([]) }, false), undefined);
  });

  it("answers 400 for the LLM formats Skiff does not implement, model or not", () => {
    const formats = [{ type: "deterministicJson", schema: { type: "object" } }];
    for (const hasLlm of [true, false]) {
      const r = refusal({ formats }, hasLlm);
      assert.equal(r?.status, 400);
      assert.match(r?.message ?? "", /^The 'deterministicJson' format is not supported by Skiff/);
    }
  });

  it("answers 400 before 503: what Skiff never does comes first", () => {
    const r = refusal({ formats: ["summary", "branding"] }, false);
    assert.equal(r?.status, 400);
    assert.equal(refusal({ formats: ["summary"], redactPII: true }, false)?.status, 400);
  });
});
