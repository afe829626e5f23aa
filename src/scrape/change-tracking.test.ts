import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { AppError } from "../errors.ts";
import type { PageSnapshot } from "../store/change-history.ts";
import type { Store } from "../store/store.ts";
import { ChangeTracker, changedKeys } from "./change-tracking.ts";
import type { LlmFormats } from "./llm-formats.ts";
import { scrapeRequestSchema } from "./scrape-request.ts";

const logger = pino({ level: "silent" });
const signal = () => new AbortController().signal;
const page = (markdown: string, statusCode = 200) => ({
  teamId: "t",
  url: "https://a.test/p",
  markdown,
  statusCode,
  scrapeId: "s",
});
const request = (format: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  scrapeRequestSchema.parse({
    url: "https://a.test/p",
    formats: ["markdown", { type: "changeTracking", ...format }],
    ...extra,
  });

/** The two store calls change tracking makes, over a map; `failing` makes the read throw. */
function historyStore(failing = false) {
  const rows = new Map<string, PageSnapshot>();
  const key = (s: { teamId: string; url: string; tag: string }) => `${s.teamId} ${s.url} ${s.tag}`;
  const store = {
    lastSnapshot: (teamId: string, url: string, tag: string) =>
      failing
        ? Promise.reject(new Error("store down"))
        : Promise.resolve(rows.get(key({ teamId, url, tag }))),
    putSnapshot: (s: PageSnapshot) => Promise.resolve(void rows.set(key(s), s)),
  };
  return { store: store as unknown as Store, rows };
}

function modelAnswering(json: LlmFormats["json"]): LlmFormats {
  const unused = () => Promise.reject(new Error("not asked"));
  return { json, summary: unused, answer: unused, pickLines: unused };
}

describe("ChangeTracker", () => {
  it("a store that cannot be read gives the spec's warning and no changeTracking", async () => {
    const tracker = new ChangeTracker({ store: historyStore(true).store, logger });
    const result = await tracker.track(request({}), page("# A"), signal());
    assert.equal(result.changeTracking, undefined);
    assert.equal(result.warning, "Comparing failed, please try again later.");
  });

  it("compares with the snapshot it was told to remember, per tag", async () => {
    const { store, rows } = historyStore();
    const tracker = new ChangeTracker({ store, logger });
    const first = await tracker.track(request({ tag: "a" }), page("# A"), signal());
    assert.equal(first.changeTracking?.changeStatus, "new");
    assert.equal(rows.size, 0, "nothing is kept before the scrape succeeds");
    await tracker.remember(first.snapshot as PageSnapshot, "s");
    const again = await tracker.track(request({ tag: "a" }), page("#  A\n"), signal());
    assert.equal(again.changeTracking?.changeStatus, "same");
    const other = await tracker.track(request({ tag: "b" }), page("# A"), signal());
    assert.equal(other.changeTracking?.changeStatus, "new");
    const removed = await tracker.track(request({}), page("gone", 404), signal());
    assert.equal(removed.changeTracking?.changeStatus, "removed", "404 with no history too");
  });

  it("zero data retention reads and keeps nothing", async () => {
    const tracker = new ChangeTracker({ store: historyStore(true).store, logger });
    const result = await tracker.track(
      request({}, { zeroDataRetention: true }),
      page("x"),
      signal(),
    );
    assert.deepEqual(result, {
      warning: "Change tracking is not supported with zero data retention.",
      billsJson: false,
    });
  });

  it("a failed json comparison warns, keeps the status and is not billed", async () => {
    const { store } = historyStore();
    const failing = modelAnswering(() =>
      Promise.reject(new AppError("LLM_EXTRACTION_FAILED", "no")),
    );
    const tracker = new ChangeTracker({ store, logger, llm: failing });
    await store.putSnapshot({
      teamId: "t",
      url: "https://a.test/p",
      tag: "",
      markdown: "1",
      scrapedAt: 1,
    });
    const result = await tracker.track(request({ modes: ["json"] }), page("2"), signal());
    assert.equal(result.changeTracking?.changeStatus, "changed");
    assert.equal(result.changeTracking?.json, undefined);
    assert.equal(result.warning, "Structured diff generation failed.");
    assert.equal(result.billsJson, false);
  });

  it("json mode without a schema gives the model both versions and returns its JSON", async () => {
    const { store } = historyStore();
    const seen: string[] = [];
    const llm = modelAnswering((input) => {
      seen.push(input.markdown);
      return Promise.resolve({ summary: "price went up" });
    });
    const tracker = new ChangeTracker({ store, logger, llm });
    await store.putSnapshot({
      teamId: "t",
      url: "https://a.test/p",
      tag: "",
      markdown: "$9",
      scrapedAt: 1,
    });
    const result = await tracker.track(request({ modes: ["json"] }), page("$12"), signal());
    assert.deepEqual(result.changeTracking?.json, { summary: "price went up" });
    assert.equal(result.billsJson, true);
    assert.deepEqual(seen, ["Previous Content:\n$9\n\nCurrent Content:\n$12"]);
  });
});

describe("changedKeys", () => {
  it("lists each key whose JSON differs, with both values", () => {
    assert.deepEqual(changedKeys({ a: 1, b: [1], c: "x" }, { a: 1, b: [2], d: true }), {
      b: { previous: [1], current: [2] },
      c: { previous: "x", current: undefined },
      d: { previous: undefined, current: true },
    });
    assert.deepEqual(changedKeys(null, { a: 1 }), { a: { previous: undefined, current: 1 } });
  });
});
