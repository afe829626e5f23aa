import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import {
  LLM_FORMATS,
  UNIMPLEMENTED_LLM_FORMATS,
  asksModel,
  UNSUPPORTED_FORMATS,
  errorMessageForZod,
  scrapeRequestSchema,
} from "./scrape-request.ts";

const TARGET = "https://example.com";
const UNRECOGNIZED =
  "Unrecognized key in body -- please review the v2 API documentation for request body changes";
const TWO_YEARS_MS = 2 * 365 * 24 * 60 * 60 * 1000;

function parse(body: Record<string, unknown> = {}) {
  return scrapeRequestSchema.parse({ url: TARGET, ...body });
}

function rejection(body: Record<string, unknown>) {
  const result = scrapeRequestSchema.safeParse({ url: TARGET, ...body });
  assert.equal(result.success, false, `expected ${JSON.stringify(body)} to be rejected`);
  return { message: errorMessageForZod(result.error), issues: result.error.issues };
}

describe("scrape request defaults", () => {
  it("fills Firecrawl's defaults for a minimal body", () => {
    const parsed = parse();
    assert.equal(parsed.url, TARGET);
    assert.equal(parsed.origin, "api");
    assert.deepEqual(parsed.formats, [{ type: "markdown" }]);
    assert.equal(parsed.onlyMainContent, true);
    assert.equal(parsed.onlyCleanContent, false);
    assert.equal(parsed.waitFor, 0);
    assert.equal(parsed.mobile, false);
    assert.equal(parsed.removeBase64Images, true);
    assert.equal(parsed.fastMode, false);
    assert.equal(parsed.blockAds, true);
    assert.equal(parsed.storeInCache, true);
    assert.equal(parsed.lockdown, false);
    assert.equal(parsed.proxy, "auto");
    assert.deepEqual(parsed.parsers, ["pdf"]);
    assert.equal(parsed.integration, null);
  });

  it("leaves optional fields unset", () => {
    const parsed = parse();
    for (const key of ["timeout", "maxAge", "minAge", "actions", "headers", "redactPII"] as const) {
      assert.equal(parsed[key], undefined, key);
    }
    assert.equal("profile" in parsed, false);
  });

  it("keeps explicit values", () => {
    const parsed = parse({
      onlyMainContent: false,
      mobile: true,
      blockAds: false,
      origin: "website",
    });
    assert.equal(parsed.onlyMainContent, false);
    assert.equal(parsed.mobile, true);
    assert.equal(parsed.blockAds, false);
    assert.equal(parsed.origin, "website");
  });

  it("rejects a body that is not an object", () => {
    for (const body of [null, "https://example.com", []]) {
      assert.equal(scrapeRequestSchema.safeParse(body).success, false);
    }
  });
});

describe("scrape request strictness", () => {
  it("rejects an unknown top-level key with unrecognized_keys", () => {
    const { message, issues } = rejection({ pageOptions: {} });
    assert.equal(message, UNRECOGNIZED);
    assert.equal(issues[0]?.code, "unrecognized_keys");
  });

  it("rejects v1-only keys", () => {
    assert.equal(rejection({ extract: { prompt: "x" } }).message, UNRECOGNIZED);
  });

  it("accepts the internal upstream fields", () => {
    const parsed = parse({
      __experimental_omce: true,
      __experimental_omceDomain: "example.com",
      __experimental_engpicker: true,
      __forceFirePDF: true,
      __searchPreviewToken: "token",
      __agentInterop: { auth: "a", requestId: "r", shouldBill: false },
    });
    assert.equal(parsed.__experimental_omce, true);
    assert.equal(parsed.__experimental_omceDomain, "example.com");
    assert.deepEqual(parsed.__agentInterop, { auth: "a", requestId: "r", shouldBill: false });
  });

  it("accepts a test-only useMock name", () => {
    assert.equal(parse({ useMock: "fixture" }).useMock, "fixture");
  });
});

describe("scrape request skipTlsVerification", () => {
  it("defaults to true", () => {
    assert.equal(parse().skipTlsVerification, true);
  });

  it("keeps an explicit false, and an explicit true beside headers", () => {
    assert.equal(parse({ skipTlsVerification: false }).skipTlsVerification, false);
    const withHeaders = parse({ skipTlsVerification: true, headers: { a: "b" } });
    assert.equal(withHeaders.skipTlsVerification, true);
  });

  it("defaults to false with custom headers, but not with empty headers", () => {
    assert.equal(parse({ headers: { "x-test": "true" } }).skipTlsVerification, false);
    assert.equal(parse({ headers: {} }).skipTlsVerification, true);
  });

  it("rejects non-string header values", () => {
    assert.equal(rejection({ headers: { "x-n": 1 } }).message, "Bad Request");
  });
});

describe("scrape request waitFor and timeout", () => {
  it("accepts waitFor up to half of timeout", () => {
    const parsed = parse({ timeout: 1000, waitFor: 500 });
    assert.equal(parsed.waitFor, 500);
    assert.equal(parsed.timeout, 1000);
  });

  it("rejects waitFor over half of timeout with the message on waitFor", () => {
    const { message, issues } = rejection({ timeout: 1000, waitFor: 600 });
    assert.equal(message, "waitFor must not exceed half of timeout");
    assert.equal(issues[0]?.code, "custom");
    assert.deepEqual(issues[0]?.path, ["waitFor"]);
  });

  it("does not compare waitFor with an absent timeout", () => {
    assert.equal(parse({ waitFor: 60_000 }).waitFor, 60_000);
  });

  it("bounds waitFor to 0..60000 integers", () => {
    for (const waitFor of [-1, 60_001, 1.5]) {
      assert.equal(rejection({ waitFor }).message, "Bad Request", String(waitFor));
    }
  });

  it("requires an integer timeout of at least 1000", () => {
    assert.equal(parse({ timeout: 1000 }).timeout, 1000);
    for (const timeout of [999, 0, 1500.5, "60000"]) {
      assert.equal(rejection({ timeout }).message, "Bad Request", String(timeout));
    }
  });

  it("has no upper bound on timeout", () => {
    assert.equal(parse({ timeout: 900_000 }).timeout, 900_000);
  });
});

describe("scrape request rewrites", () => {
  it("raises waitFor to 5000 when changeTracking is requested", () => {
    assert.equal(parse({ formats: ["markdown", "changeTracking"] }).waitFor, 5000);
    const longer = parse({ formats: ["markdown", "changeTracking"], waitFor: 8000 });
    assert.equal(longer.waitFor, 8000);
  });

  it("sets maxAge to two years for lockdown without maxAge", () => {
    assert.equal(parse({ lockdown: true }).maxAge, TWO_YEARS_MS);
    assert.equal(parse({ lockdown: true, maxAge: 60_000 }).maxAge, 60_000);
    assert.equal(parse({ lockdown: false }).maxAge, undefined);
  });

  it("accepts lockdown beside any other option", () => {
    const parsed = parse({
      lockdown: true,
      actions: [{ type: "click", selector: "button" }],
      headers: { "X-Custom": "value" },
      profile: { name: "my-profile" },
      proxy: "basic",
      formats: ["markdown", "changeTracking"],
    });
    assert.equal(parsed.lockdown, true);
  });

  it("bumps a legacy 30000 timeout for non-basic proxies to 120000", () => {
    assert.equal(parse({ timeout: 30_000 }).timeout, 120_000);
    assert.equal(parse({ timeout: 30_000, proxy: "stealth" }).timeout, 120_000);
  });

  it("bumps a legacy 30000 timeout to 60000 for json or changeTracking on basic proxy", () => {
    assert.equal(parse({ timeout: 30_000, proxy: "basic", formats: ["json"] }).timeout, 60_000);
    const tracking = { timeout: 30_000, proxy: "basic", formats: ["markdown", "changeTracking"] };
    assert.equal(parse(tracking).timeout, 60_000);
    assert.equal(parse({ timeout: 30_000, proxy: "basic" }).timeout, 30_000);
    assert.equal(parse({ timeout: 30_001 }).timeout, 30_001);
  });

  it("rewrites the iframe tag in include and exclude selectors", () => {
    const parsed = parse({ includeTags: ["iframe", "div"], excludeTags: ["nav, iframe.ad"] });
    assert.deepEqual(parsed.includeTags, ['div[data-original-tag="iframe"]', "div"]);
    assert.deepEqual(parsed.excludeTags, ['nav, div[data-original-tag="iframe"].ad']);
    assert.deepEqual(parse({ includeTags: ["iframes", "#iframe"] }).includeTags, [
      "iframes",
      "#iframe",
    ]);
  });
});

describe("scrape request options", () => {
  it("accepts each proxy, the legacy stealth included, and rejects others", () => {
    for (const proxy of ["basic", "stealth", "enhanced", "auto"]) {
      assert.equal(parse({ proxy }).proxy, proxy);
    }
    assert.equal(rejection({ proxy: "residential" }).message, "Bad Request");
  });

  it("accepts non-negative integer maxAge and minAge", () => {
    const parsed = parse({ maxAge: 5000, minAge: 0 });
    assert.equal(parsed.maxAge, 5000);
    assert.equal(parsed.minAge, 0);
    assert.equal(rejection({ maxAge: -1 }).message, "Bad Request");
    assert.equal(rejection({ minAge: -1 }).message, "Bad Request");
  });

  it("accepts known integrations and private ones starting with _", () => {
    assert.equal(parse({ integration: "dify" }).integration, "dify");
    assert.equal(parse({ integration: "prometheus" }).integration, "prometheus");
    assert.equal(parse({ integration: "_custom" }).integration, "_custom");
  });

  it("rejects other integrations with Firecrawl's enum message", () => {
    const { message, issues } = rejection({ integration: "invalid-integration" });
    assert.match(message, /^Invalid enum value\. Expected 'dify' \| 'zapier' \| /);
    assert.match(message, /'prometheus'$/);
    assert.deepEqual(issues[0]?.path, ["integration"]);
  });

  it("defaults profile saveChanges to true and strips unknown keys", () => {
    assert.deepEqual(parse({ profile: { name: "shop", extra: 1 } }).profile, {
      name: "shop",
      saveChanges: true,
    });
    assert.deepEqual(parse({ profile: { name: "shop", saveChanges: false } }).profile, {
      name: "shop",
      saveChanges: false,
    });
  });

  it("bounds the profile name to 1..128 characters", () => {
    assert.equal(parse({ profile: { name: "p".repeat(128) } }).profile?.name.length, 128);
    assert.equal(rejection({ profile: { name: "" } }).message, "Bad Request");
    assert.equal(rejection({ profile: { name: "p".repeat(129) } }).message, "Bad Request");
    assert.equal(rejection({ profile: {} }).message, "Bad Request");
  });

  it("normalizes redactPII true to the default options and false to absent", () => {
    assert.deepEqual(parse({ redactPII: true }).redactPII, {
      mode: "accurate",
      replaceStyle: "tag",
    });
    assert.equal(parse({ redactPII: false }).redactPII, undefined);
    const custom = { mode: "fast", entities: ["EMAIL"], replaceStyle: "mask" };
    assert.deepEqual(parse({ redactPII: custom }).redactPII, custom);
    assert.equal(rejection({ redactPII: { mode: "slow" } }).message, "Bad Request");
  });

  it("accepts parsers as strings and PDF objects, folding pageMarkdown into pages", () => {
    assert.deepEqual(parse({ parsers: [] }).parsers, []);
    assert.deepEqual(parse({ parsers: [{ type: "pdf", maxPages: 100 }] }).parsers, [
      { type: "pdf", maxPages: 100 },
    ]);
    assert.deepEqual(parse({ parsers: [{ type: "pdf", pageMarkdown: true }] }).parsers, [
      { type: "pdf", pages: true },
    ]);
  });

  it("rejects a PDF parser over 10000 pages or with unknown keys", () => {
    assert.equal(
      rejection({ parsers: [{ type: "pdf", maxPages: 10_001 }] }).message,
      "Bad Request",
    );
    assert.equal(rejection({ parsers: ["image"] }).message, "Bad Request");
    const extra = rejection({ parsers: [{ type: "pdf", ocr: true }] });
    assert.equal(extra.issues[0]?.code, "unrecognized_keys");
  });

  it("accepts a threat-protection override and lowercases its domains", () => {
    const parsed = parse({ threatProtection: { mode: "normal", blacklist: ["*.Bad.example"] } });
    assert.deepEqual(parsed.threatProtection, { mode: "normal", blacklist: ["*.bad.example"] });
    const { message } = rejection({ threatProtection: { blacklist: ["https://bad.example"] } });
    assert.match(message, /^Invalid domain entry "https:\/\/bad\.example"/);
  });

  it("accepts audit metadata and zero data retention", () => {
    const parsed = parse({ auditMetadata: { username: "ops" }, zeroDataRetention: true });
    assert.deepEqual(parsed.auditMetadata, { username: "ops" });
    assert.equal(parsed.zeroDataRetention, true);
  });
});

describe("errorMessageForZod", () => {
  const issue = (props: Record<string, unknown>) =>
    ({ path: [], input: undefined, ...props }) as unknown as z.core.$ZodIssue;

  it("reports unrecognized keys first, wherever the issue sits", () => {
    const error = new z.ZodError([
      issue({ code: "custom", message: "first" }),
      issue({ code: "unrecognized_keys", keys: ["x"], message: "Unrecognized key" }),
    ]);
    assert.equal(errorMessageForZod(error), UNRECOGNIZED);
  });

  it("surfaces the first issue's message when it is custom", () => {
    const error = new z.ZodError([issue({ code: "custom", message: "Be nicer" })]);
    assert.equal(errorMessageForZod(error), "Be nicer");
  });

  it("answers Bad Request for anything else, even with a later custom issue", () => {
    const error = new z.ZodError([
      issue({ code: "invalid_type", expected: "string", message: "Invalid input" }),
      issue({ code: "custom", message: "later" }),
    ]);
    assert.equal(errorMessageForZod(error), "Bad Request");
    assert.equal(errorMessageForZod(new z.ZodError([])), "Bad Request");
  });
});

describe("format sets", () => {
  it("lists the LLM formats Skiff writes, and those it does not implement", () => {
    const written = ["json", "summary", "question", "highlights", "query"];
    assert.deepEqual([...LLM_FORMATS].sort(), written.sort());
    assert.deepEqual([...UNIMPLEMENTED_LLM_FORMATS], ["deterministicJson"]);
  });

  it("asks the model for change tracking's json mode, not for git-diff", () => {
    const tracking = (modes: string[]) =>
      parse({ formats: ["markdown", { type: "changeTracking", modes }] });
    assert.equal(asksModel(tracking(["git-diff"])), false);
    assert.equal(asksModel(tracking(["git-diff", "json"])), true);
    assert.equal(asksModel(parse({ formats: [{ type: "highlights", query: "q" }] })), true);
  });

  it("lists the cloud-only formats, all of which the schema accepts", () => {
    const cloud = ["branding", "product", "menu", "audio", "video", "rawBase64", "attributes"];
    assert.deepEqual([...UNSUPPORTED_FORMATS].sort(), [...cloud].sort());
    const attributes = { type: "attributes", selectors: [] };
    for (const type of UNSUPPORTED_FORMATS) {
      const format = type === "attributes" ? attributes : type;
      assert.equal(parse({ formats: [format] }).formats[0]?.type, type);
    }
  });
});
