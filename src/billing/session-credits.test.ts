import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sessionCreditEstimate, sessionCredits } from "./session-credits.ts";

describe("sessionCredits (spec §2.9)", () => {
  it("charges at least one browser-minute", () => {
    assert.equal(sessionCredits(0, false), 2);
    assert.equal(sessionCredits(1_000, false), 2);
    assert.equal(sessionCredits(1_000, true), 7);
  });
  it("prorates past the first minute, rounding up", () => {
    assert.equal(sessionCredits(60_000, false), 2);
    assert.equal(sessionCredits(61_000, false), 3);
    assert.equal(sessionCredits(10 * 60_000, false), 20);
    assert.equal(sessionCredits(10 * 60_000, true), 70);
    assert.equal(sessionCredits(90_000, true), 11);
  });
  it("estimates 20 credits for the default 600 s session", () => {
    assert.equal(sessionCreditEstimate(600), 20);
  });
});
