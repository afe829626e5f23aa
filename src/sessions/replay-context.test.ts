import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scrapeRequestSchema } from "../scrape/scrape-request.ts";
import { buildReplayContext } from "./replay-context.ts";

/** A row as the scrape service stores it: the parsed request, through JSON. */
function storedRow(body: Record<string, unknown>) {
  const parsed = scrapeRequestSchema.parse(body);
  return { url: parsed.url, options: JSON.parse(JSON.stringify(parsed)) as unknown };
}

describe("buildReplayContext", () => {
  it("replays url, waitFor and the actions, without the output-only ones", () => {
    const v = buildReplayContext(
      storedRow({
        url: "https://example.com/a",
        waitFor: 500,
        actions: [
          { type: "click", selector: "#tab" },
          { type: "screenshot" },
          { type: "wait", milliseconds: 100 },
          { type: "scrape" },
          { type: "pdf" },
          { type: "executeJavascript", script: "return 1" },
        ],
      }),
    );
    assert.ok(v.ok);
    assert.equal(v.context.url, "https://example.com/a");
    assert.equal(v.context.waitForMs, 500);
    assert.deepEqual(
      v.context.actions.map((a) => a.type),
      ["click", "wait", "executeJavascript"],
    );
  });

  it("accepts every stored request the schema produces", () => {
    const bodies = [
      { url: "example.com" },
      { url: "https://example.com", formats: ["markdown", { type: "screenshot", fullPage: true }] },
      { url: "https://example.com", timeout: 30000, headers: { a: "b" }, mobile: true },
      { url: "https://example.com", location: { country: "DE" }, lockdown: true },
      { url: "https://example.com", profile: { name: "p" }, redactPII: false, parsers: [] },
      { url: "https://example.com", origin: "website", integration: "_mine", blockAds: false },
    ];
    for (const body of bodies) assert.equal(buildReplayContext(storedRow(body)).ok, true);
  });

  it("says the URL was not retained when it is missing (zero data retention)", () => {
    assert.deepEqual(buildReplayContext({ url: null, options: null }), {
      ok: false,
      message:
        "Replay context is unavailable for this scrape job because the source URL was not retained.",
    });
  });

  it("says the options were not retained when they are missing", () => {
    const v = buildReplayContext({ url: "https://example.com", options: null });
    assert.equal(v.ok, false);
    assert.match(v.ok ? "" : v.message, /because scrape options were not retained\.$/);
  });

  it("says the stored URL is invalid", () => {
    const v = buildReplayContext({ url: "not a url", options: {} });
    assert.match(v.ok ? "" : v.message, /because the stored URL is invalid\.$/);
  });

  it("asks for a rerun when the stored options no longer parse", () => {
    const v = buildReplayContext({ url: "https://example.com", options: { waitFor: "soon" } });
    assert.equal(
      v.ok ? "" : v.message,
      "Replay context is unavailable for this scrape job. Please rerun the scrape.",
    );
  });
});
