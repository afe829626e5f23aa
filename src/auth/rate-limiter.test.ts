import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RateLimiter } from "./rate-limiter.ts";

describe("RateLimiter", () => {
  it("allows the limit in a minute, then says how long to wait, per team", () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(3, () => now);
    for (let i = 0; i < 3; i++) assert.equal(limiter.takeNow("a"), undefined);
    now += 20_000;
    const refused = limiter.takeNow("a");
    assert.equal(refused?.retryAfterSeconds, 40);
    assert.match(
      refused?.message ?? "",
      /^Rate limit exceeded\. Consumed \(req\/min\): 3, Remaining \(req\/min\): 0\. .*retry after 40s, resets at /,
    );
    assert.equal(limiter.takeNow("b"), undefined, "another team has its own minute");
    now += 40_000;
    assert.equal(limiter.takeNow("a"), undefined, "a new minute");
  });
});
