import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorMessageForZod, scrapeRequestSchema } from "../scrape-request.ts";

const TARGET = "https://example.com";
const TOTAL_WAIT = "Total wait time (waitFor + wait actions) cannot exceed 60 seconds";
const WAIT_FIELDS = "Either 'milliseconds' or 'selector' must be provided, but not both.";

function actionsOf(actions: unknown[], extra: Record<string, unknown> = {}) {
  return scrapeRequestSchema.parse({ url: TARGET, actions, ...extra }).actions;
}

function rejection(actions: unknown, extra: Record<string, unknown> = {}) {
  const result = scrapeRequestSchema.safeParse({ url: TARGET, actions, ...extra });
  assert.equal(result.success, false, `expected ${JSON.stringify(actions)} to be rejected`);
  return { message: errorMessageForZod(result.error), issues: result.error.issues };
}

const waits = (count: number, milliseconds: number) =>
  Array.from({ length: count }, () => ({ type: "wait", milliseconds }));

describe("scrape request actions", () => {
  it("accepts a wait in milliseconds or on a selector", () => {
    assert.deepEqual(
      actionsOf([
        { type: "wait", milliseconds: 500 },
        { type: "wait", selector: "#ready" },
      ]),
      [
        { type: "wait", milliseconds: 500 },
        { type: "wait", selector: "#ready" },
      ],
    );
  });

  it("requires exactly one of milliseconds and selector on a wait", () => {
    for (const wait of [{ type: "wait" }, { type: "wait", milliseconds: 1, selector: "a" }]) {
      const { message, issues } = rejection([wait]);
      assert.equal(message, WAIT_FIELDS);
      assert.equal(issues[0]?.code, "custom");
      assert.deepEqual(issues[0]?.path, ["actions", 0]);
    }
  });

  it("rejects a wait of zero or fractional milliseconds", () => {
    assert.equal(rejection([{ type: "wait", milliseconds: 0 }]).message, "Bad Request");
    assert.equal(rejection([{ type: "wait", milliseconds: 1.5 }]).message, "Bad Request");
  });

  it("defaults click all to false", () => {
    assert.deepEqual(actionsOf([{ type: "click", selector: "button" }]), [
      { type: "click", selector: "button", all: false },
    ]);
    assert.deepEqual(actionsOf([{ type: "click", selector: "a", all: true }]), [
      { type: "click", selector: "a", all: true },
    ]);
  });

  it("requires a selector on click", () => {
    const { message, issues } = rejection([{ type: "click" }]);
    assert.equal(message, "Bad Request");
    assert.equal(issues[0]?.code, "invalid_union");
  });

  it("defaults screenshot fullPage to false and keeps its options", () => {
    assert.deepEqual(actionsOf([{ type: "screenshot" }]), [
      { type: "screenshot", fullPage: false },
    ]);
    const full = {
      type: "screenshot",
      fullPage: true,
      quality: 80,
      viewport: { width: 800, height: 600 },
    };
    assert.deepEqual(actionsOf([full]), [full]);
  });

  it("bounds the screenshot action's quality and viewport", () => {
    assert.equal(rejection([{ type: "screenshot", quality: 101 }]).message, "Bad Request");
    const wide = { type: "screenshot", viewport: { width: 10_000, height: 1080 } };
    assert.equal(rejection([wide]).message, "Bad Request");
    const fractional = { type: "screenshot", viewport: { width: 800, height: 600.5 } };
    assert.equal(rejection([fractional]).message, "Bad Request");
  });

  it("accepts write, press and executeJavascript with their one field", () => {
    const actions = [
      { type: "write", text: "hello" },
      { type: "press", key: "Enter" },
      { type: "executeJavascript", script: "return 1" },
    ];
    assert.deepEqual(actionsOf(actions), actions);
  });

  it("rejects write, press and executeJavascript without their field", () => {
    for (const type of ["write", "press", "executeJavascript"]) {
      assert.equal(rejection([{ type }]).message, "Bad Request", type);
    }
  });

  it("defaults scroll direction to down and rejects other directions", () => {
    assert.deepEqual(actionsOf([{ type: "scroll" }]), [{ type: "scroll", direction: "down" }]);
    assert.deepEqual(actionsOf([{ type: "scroll", direction: "up", selector: "#list" }]), [
      { type: "scroll", direction: "up", selector: "#list" },
    ]);
    assert.equal(rejection([{ type: "scroll", direction: "left" }]).message, "Bad Request");
  });

  it("accepts scrape", () => {
    assert.deepEqual(actionsOf([{ type: "scrape" }]), [{ type: "scrape" }]);
  });

  it("defaults pdf to Letter, scale 1, portrait", () => {
    assert.deepEqual(actionsOf([{ type: "pdf" }]), [
      { type: "pdf", landscape: false, scale: 1, format: "Letter" },
    ]);
    assert.deepEqual(actionsOf([{ type: "pdf", format: "A4", landscape: true, scale: 0.5 }]), [
      { type: "pdf", format: "A4", landscape: true, scale: 0.5 },
    ]);
    assert.equal(rejection([{ type: "pdf", format: "B5" }]).message, "Bad Request");
  });

  it("rejects an unknown action type", () => {
    assert.equal(rejection([{ type: "hover", selector: "a" }]).message, "Bad Request");
  });

  it("strips unknown keys inside an action", () => {
    assert.deepEqual(actionsOf([{ type: "scroll", amount: 3 }]), [
      { type: "scroll", direction: "down" },
    ]);
    assert.deepEqual(actionsOf([{ type: "click", selector: "a", delay: 5 }]), [
      { type: "click", selector: "a", all: false },
    ]);
  });

  it("accepts an empty list", () => {
    assert.deepEqual(actionsOf([]), []);
  });

  it("accepts 50 actions and refuses 51", () => {
    const clicks = (n: number) =>
      Array.from({ length: n }, () => ({ type: "click", selector: "a" }));
    assert.equal(actionsOf(clicks(50))?.length, 50);
    const { message, issues } = rejection(clicks(51));
    assert.equal(message, "Number of actions cannot exceed 50");
    assert.deepEqual(issues[0]?.path, ["actions"]);
  });

  it("allows wait actions up to 60 seconds in total", () => {
    assert.equal(actionsOf(waits(6, 10_000))?.length, 6);
  });

  it("refuses wait actions over 60 seconds in total", () => {
    const { message, issues } = rejection(waits(7, 10_000));
    assert.equal(message, TOTAL_WAIT);
    assert.deepEqual(issues[0]?.path, ["actions"]);
  });

  it("counts a selector wait as one second", () => {
    const atLimit = [...waits(1, 59_000), { type: "wait", selector: "#a" }];
    assert.equal(actionsOf(atLimit)?.length, 2);
    const over = [...waits(1, 59_001), { type: "wait", selector: "#a" }];
    assert.equal(rejection(over).message, TOTAL_WAIT);
  });

  it("counts waitFor in the total", () => {
    assert.equal(actionsOf(waits(1, 30_000), { waitFor: 30_000 })?.length, 1);
    const { message, issues } = rejection(waits(1, 30_001), { waitFor: 30_000 });
    assert.equal(message, TOTAL_WAIT);
    assert.deepEqual(issues[0]?.path, []);
  });

  it("turns skipTlsVerification off by default once actions are given", () => {
    const parsed = scrapeRequestSchema.parse({ url: TARGET, actions: [{ type: "scrape" }] });
    assert.equal(parsed.skipTlsVerification, false);
    const empty = scrapeRequestSchema.parse({ url: TARGET, actions: [] });
    assert.equal(empty.skipTlsVerification, true);
  });
});
