import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError, isAppError } from "../errors.ts";
import type { LlmFormats } from "./llm-formats.ts";
import { modelAnswers } from "./model-answers.ts";
import { asksModel, scrapeRequestSchema } from "./scrape-request.ts";

const page = { markdown: "# Shop", url: "https://shop.test/" };
const request = (formats: unknown[]) =>
  scrapeRequestSchema.parse({ url: "https://shop.test/", formats });
const signal = () => new AbortController().signal;

/** A model that answers `json` with `value`, and records what it was given. */
function fakeModel(value: unknown, summary: LlmFormats["summary"] = () => Promise.resolve("S")) {
  const calls: { input: Parameters<LlmFormats["json"]>[0]; signal: AbortSignal }[] = [];
  const llm: LlmFormats = {
    json(input, s) {
      calls.push({ input, signal: s });
      return Promise.resolve(value);
    },
    summary,
    answer: () => Promise.reject(new Error("not asked")),
    pickLines: () => Promise.reject(new Error("not asked")),
  };
  return { llm, calls };
}

describe("modelAnswers", () => {
  it("answers only what was asked for", async () => {
    const { llm } = fakeModel({ a: 1 });
    assert.deepEqual(await modelAnswers(llm, request(["summary"]), page, signal()), {
      summary: "S",
    });
    const both = request([{ type: "json", prompt: "p" }, "summary"]);
    assert.deepEqual(await modelAnswers(llm, both, page, signal()), {
      json: { a: 1 },
      summary: "S",
    });
    assert.equal(asksModel(request(["markdown", "links"])), false);
  });

  it("a null schema is none: nothing to check the answer against", async () => {
    const { llm, calls } = fakeModel(["anything"]);
    const answers = await modelAnswers(
      llm,
      request([{ type: "json", schema: null }]),
      page,
      signal(),
    );
    assert.deepEqual(answers, { json: ["anything"] });
    assert.equal("schema" in (calls[0]?.input ?? {}), false);
  });

  it("refuses an answer that breaks the schema", async () => {
    const schema = { type: "object", properties: { n: { type: "number" } }, required: ["n"] };
    const { llm } = fakeModel({ n: "one" });
    await assert.rejects(
      modelAnswers(llm, request([{ type: "json", schema }]), page, signal()),
      (e) => isAppError(e) && e.message.endsWith("schema: json/n must be number."),
    );
  });

  it("a failed summary stops the json call", async () => {
    const failing = () => Promise.reject(new AppError("LLM_EXTRACTION_FAILED"));
    const { calls, llm } = fakeModel({}, failing);
    const both = request([{ type: "json", prompt: "p" }, "summary"]);
    await assert.rejects(modelAnswers(llm, both, page, signal()), isAppError);
    assert.equal(calls[0]?.signal.aborted, true);
  });
});
