import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorMessageForZod, scrapeRequestSchema } from "../scrape-request.ts";
import { OPENAI_SCHEMA_ERROR_MESSAGE } from "./json-schema.ts";

const TARGET = "https://example.com";

const UNRECOGNIZED =
  "Unrecognized key in body -- please review the v2 API documentation for request body changes";

function formatsOf(formats: unknown[]) {
  return scrapeRequestSchema.parse({ url: TARGET, formats }).formats;
}

function rejection(formats: unknown) {
  const result = scrapeRequestSchema.safeParse({ url: TARGET, formats });
  assert.equal(result.success, false, `expected ${JSON.stringify(formats)} to be rejected`);
  return { message: errorMessageForZod(result.error), issues: result.error.issues };
}

describe("scrape request formats", () => {
  it("turns strings into objects", () => {
    assert.deepEqual(formatsOf(["markdown", "html"]), [{ type: "markdown" }, { type: "html" }]);
  });

  it("accepts a mix of strings and objects", () => {
    assert.deepEqual(formatsOf(["links", { type: "images" }]), [
      { type: "links" },
      { type: "images" },
    ]);
  });

  it("accepts every bare format, as a string and as an object", () => {
    const bare = ["markdown", "html", "rawHtml", "links", "images", "summary", "branding"];
    const more = ["product", "menu", "audio", "video"];
    for (const type of [...bare, ...more]) {
      assert.deepEqual(formatsOf([type]), [{ type }]);
      assert.deepEqual(formatsOf([{ type }]), [{ type }]);
    }
  });

  it("accepts an empty list", () => {
    assert.deepEqual(formatsOf([]), []);
  });

  it("rejects an unknown format as Bad Request", () => {
    const { message, issues } = rejection(["pdf"]);
    assert.equal(message, "Bad Request");
    assert.equal(issues[0]?.code, "invalid_union");
    assert.deepEqual(issues[0]?.path, ["formats", 0]);
  });

  // Spec §15: upstream's zod reports a format entry's extra key as the union failing.
  it("rejects extra keys on a bare format as Bad Request", () => {
    const { message, issues } = rejection([{ type: "markdown", extra: true }]);
    assert.equal(message, "Bad Request");
    assert.deepEqual(issues[0]?.path, ["formats", 0]);
  });

  it("still names an unknown key outside the formats", () => {
    const body = { url: TARGET, formats: [{ type: "markdown", extra: true }], bogus: 1 };
    const result = scrapeRequestSchema.safeParse(body);
    assert.equal(result.success, false);
    assert.equal(errorMessageForZod(result.error), UNRECOGNIZED);
  });

  it("rejects formats that are not an array", () => {
    assert.equal(rejection("markdown").issues[0]?.code, "invalid_type");
  });

  it("accepts json with a schema and a prompt", () => {
    const schema = { type: "object", properties: { title: { type: "string" } } };
    assert.deepEqual(formatsOf([{ type: "json", schema, prompt: "Get the title" }]), [
      { type: "json", schema, prompt: "Get the title" },
    ]);
  });

  it("accepts json with neither schema nor prompt", () => {
    assert.deepEqual(formatsOf([{ type: "json" }]), [{ type: "json" }]);
  });

  it("limits the json prompt to 10000 characters", () => {
    assert.equal(formatsOf([{ type: "json", prompt: "a".repeat(10_000) }]).length, 1);
    assert.equal(rejection([{ type: "json", prompt: "a".repeat(10_001) }]).message, "Bad Request");
  });

  it("rejects unknown keys in the json format", () => {
    assert.equal(rejection([{ type: "json", mode: "llm" }]).message, "Bad Request");
  });

  it("drops additionalProperties beside properties and prunes required", () => {
    const schema = {
      type: "object",
      properties: { a: { type: "string" } },
      additionalProperties: false,
      required: ["a", "b"],
    };
    const [format] = formatsOf([{ type: "json", schema }]);
    assert.deepEqual(format, {
      type: "json",
      schema: { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
    });
  });

  it("removes required when none of its names is a property", () => {
    const schema = { type: "object", properties: { a: { type: "string" } }, required: ["z"] };
    const [format] = formatsOf([{ type: "json", schema }]);
    assert.deepEqual(format, {
      type: "json",
      schema: { type: "object", properties: schema.properties },
    });
  });

  it("leaves $ref nodes untouched, even free-form looking ones", () => {
    const ref = { $ref: "#/$defs/item", type: "object", additionalProperties: true };
    const schema = {
      type: "object",
      properties: { item: ref },
      $defs: { item: { type: "string" } },
    };
    assert.deepEqual(formatsOf([{ type: "json", schema }]), [{ type: "json", schema }]);
    const topLevel = {
      $ref: "#/$defs/a",
      type: "object",
      properties: {},
      required: ["x"],
      $defs: { a: { type: "object" } },
    };
    assert.deepEqual(formatsOf([{ type: "json", schema: topLevel }]), [
      { type: "json", schema: topLevel },
    ]);
  });

  it("cleans $defs but not the node that holds them, as upstream", () => {
    const item = { type: "object", properties: { a: {} }, additionalProperties: false };
    const schema = { type: "object", properties: {}, additionalProperties: false, $defs: { item } };
    const [format] = formatsOf([{ type: "json", schema }]);
    assert.deepEqual(format, {
      type: "json",
      schema: { ...schema, $defs: { item: { type: "object", properties: { a: {} } } } },
    });
  });

  it("refuses a schema-less dictionary with the OpenAI message, even nested", () => {
    const dictionary = { type: "object", additionalProperties: true };
    const nested = { type: "object", properties: { meta: dictionary } };
    for (const schema of [dictionary, nested]) {
      const { message, issues } = rejection([{ type: "json", schema }]);
      assert.equal(message, OPENAI_SCHEMA_ERROR_MESSAGE);
      assert.deepEqual(issues[0]?.path, ["formats", 0, "schema"]);
    }
  });

  it("refuses a schema that does not compile, saying why", () => {
    const schema = { type: "object", properties: { a: { $ref: "#/$defs/missing" } } };
    const { message, issues } = rejection([{ type: "json", schema }]);
    assert.match(
      message,
      /^The JSON schema is invalid: can't resolve reference #\/\$defs\/missing/,
    );
    assert.deepEqual(issues[0]?.path, ["formats", 0, "schema"]);
  });

  it("accepts a null schema as none", () => {
    assert.deepEqual(formatsOf([{ type: "json", schema: null, prompt: "p" }]), [
      { type: "json", schema: null, prompt: "p" },
    ]);
  });

  it("accepts deterministicJson with the same shape as json", () => {
    const schema = { type: "object", properties: { n: { type: "number" } } };
    assert.deepEqual(formatsOf([{ type: "deterministicJson", schema, prompt: "p" }]), [
      { type: "deterministicJson", schema, prompt: "p" },
    ]);
  });

  it("fills changeTracking defaults", () => {
    assert.deepEqual(formatsOf(["markdown", "changeTracking"])[1], {
      type: "changeTracking",
      modes: [],
      tag: null,
    });
  });

  it("accepts changeTracking options and rejects an unknown mode", () => {
    const format = { type: "changeTracking", modes: ["json", "git-diff"], tag: "v1", prompt: "p" };
    assert.deepEqual(formatsOf(["markdown", format])[1], format);
    assert.equal(
      rejection(["markdown", { type: "changeTracking", modes: ["diff"] }]).message,
      "Bad Request",
    );
  });

  it("fills screenshot defaults and strips unknown keys", () => {
    assert.deepEqual(formatsOf([{ type: "screenshot", zoom: 2 }]), [
      { type: "screenshot", fullPage: false },
    ]);
    assert.deepEqual(formatsOf(["screenshot"]), [{ type: "screenshot", fullPage: false }]);
  });

  it("accepts screenshot options", () => {
    const format = {
      type: "screenshot",
      fullPage: true,
      quality: 90,
      viewport: { width: 1920, height: 1080 },
    };
    assert.deepEqual(formatsOf([format]), [format]);
  });

  it("bounds screenshot quality to 1..100", () => {
    assert.equal(formatsOf([{ type: "screenshot", quality: 1 }]).length, 1);
    assert.equal(formatsOf([{ type: "screenshot", quality: 100 }]).length, 1);
    assert.equal(rejection([{ type: "screenshot", quality: 0 }]).message, "Bad Request");
    assert.equal(rejection([{ type: "screenshot", quality: 101 }]).message, "Bad Request");
  });

  it("bounds the screenshot viewport to 7680x4320", () => {
    const at = (width: number, height: number) => [
      { type: "screenshot", viewport: { width, height } },
    ];
    assert.equal(formatsOf(at(7680, 4320)).length, 1);
    assert.equal(rejection(at(7681, 1080)).message, "Bad Request");
    assert.equal(rejection(at(1920, 4321)).message, "Bad Request");
    assert.equal(rejection(at(0, 1080)).message, "Bad Request");
  });

  it("rejects a non-integer viewport", () => {
    assert.equal(
      rejection([{ type: "screenshot", viewport: { width: 1280.5, height: 720 } }]).message,
      "Bad Request",
    );
  });

  it("accepts attributes with selectors and rejects extra keys in them", () => {
    const format = { type: "attributes", selectors: [{ selector: ".p", attribute: "data-id" }] };
    assert.deepEqual(formatsOf([format]), [format]);
    const extra = { type: "attributes", selectors: [{ selector: ".p", attribute: "id", all: 1 }] };
    assert.equal(rejection([extra]).message, "Bad Request");
    assert.equal(rejection([{ type: "attributes" }]).message, "Bad Request");
  });

  it("accepts question and highlights, 1..10000 characters", () => {
    assert.deepEqual(formatsOf([{ type: "question", question: "Why?" }]), [
      { type: "question", question: "Why?" },
    ]);
    assert.deepEqual(formatsOf([{ type: "highlights", query: "price" }]), [
      { type: "highlights", query: "price" },
    ]);
    assert.equal(rejection([{ type: "question", question: "" }]).message, "Bad Request");
    assert.equal(
      rejection([{ type: "highlights", query: "q".repeat(10_001) }]).message,
      "Bad Request",
    );
  });

  it("rejects question and highlights sent with prompt instead", () => {
    assert.equal(rejection([{ type: "question", prompt: "Why?" }]).message, "Bad Request");
    assert.equal(rejection([{ type: "highlights", prompt: "price" }]).message, "Bad Request");
  });

  it("accepts the deprecated query format with mode freeform by default", () => {
    assert.deepEqual(formatsOf([{ type: "query", prompt: "What?" }]), [
      { type: "query", prompt: "What?", mode: "freeform" },
    ]);
    assert.deepEqual(formatsOf([{ type: "query", prompt: "What?", mode: "directQuote" }]), [
      { type: "query", prompt: "What?", mode: "directQuote" },
    ]);
    assert.equal(
      rejection([{ type: "query", prompt: "What?", mode: true }]).message,
      "Bad Request",
    );
  });

  it("allows rawBase64 only on its own", () => {
    assert.deepEqual(formatsOf(["rawBase64"]), [{ type: "rawBase64" }]);
    const { message, issues } = rejection(["markdown", "rawBase64"]);
    assert.equal(message, "The rawBase64 format cannot be combined with other formats");
    assert.equal(issues[0]?.code, "custom");
    assert.deepEqual(issues[0]?.path, ["formats"]);
  });

  it("allows one screenshot format only", () => {
    const { message } = rejection([{ type: "screenshot" }, { type: "screenshot", fullPage: true }]);
    assert.equal(message, "You may only specify one screenshot format");
  });

  it("requires markdown beside changeTracking", () => {
    assert.equal(
      rejection(["html", "changeTracking"]).message,
      "The changeTracking format requires the markdown format to be specified as well",
    );
  });

  it("refuses json together with deterministicJson", () => {
    assert.equal(
      rejection(["json", "deterministicJson"]).message,
      "Cannot specify both json and deterministicJson formats",
    );
  });
});
