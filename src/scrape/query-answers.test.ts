import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError } from "../errors.ts";
import type { LlmFormats } from "./llm-formats.ts";
import { queryAnswers } from "./query-answers.ts";
import { scrapeRequestSchema } from "./scrape-request.ts";

const page = { markdown: "# Kettle\n\nIt costs 24. It is blue.", url: "https://shop.test/" };
const request = (formats: unknown[]) =>
  scrapeRequestSchema.parse({ url: "https://shop.test/", formats });
const QUESTION = { type: "question", question: "Price?" };
const HIGHLIGHTS = { type: "highlights", query: "colour" };

function model(answer: LlmFormats["answer"], pickLines: LlmFormats["pickLines"]): LlmFormats {
  const unused = () => Promise.reject(new Error("not asked"));
  return { json: unused, summary: unused, answer, pickLines };
}

const failed = () => Promise.reject(new AppError("LLM_EXTRACTION_FAILED", "down"));

describe("queryAnswers", () => {
  it("answers and highlights, 4 credits each; highlights quote the picked lines", async () => {
    const llm = model(
      () => Promise.resolve("24"),
      ({ lines }) => Promise.resolve([lines.indexOf("It is blue.")]),
    );
    const r = await queryAnswers(llm, request([QUESTION, HIGHLIGHTS]), page, signal());
    assert.deepEqual(r, { answer: "24", highlights: "It is blue.", warnings: [], credits: 8 });
  });

  it("a failed call leaves its field out, warns, and is not billed", async () => {
    const llm = model(failed, () => Promise.resolve([]));
    const r = await queryAnswers(llm, request([QUESTION, HIGHLIGHTS]), page, signal());
    assert.deepEqual(r, {
      highlights: "",
      warnings: ["Query generation failed after all models."],
      credits: 4,
    });
  });

  it("the scrape's deadline is not a model failure: it fails the scrape", async () => {
    const controller = new AbortController();
    const llm = model(() => {
      controller.abort();
      return failed();
    }, failed);
    await assert.rejects(queryAnswers(llm, request([QUESTION]), page, controller.signal));
  });

  it("asks nothing of an empty page, or of a request without these formats", async () => {
    const llm = model(failed, failed);
    const empty = await queryAnswers(
      llm,
      request([QUESTION]),
      { ...page, markdown: " \n" },
      signal(),
    );
    assert.deepEqual(empty.warnings, ["Query was skipped because the markdown content is empty."]);
    assert.deepEqual(await queryAnswers(llm, request(["markdown"]), page, signal()), {
      warnings: [],
      credits: 0,
    });
  });
});

function signal() {
  return new AbortController().signal;
}
