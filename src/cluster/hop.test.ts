import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HOP_MAX_AGE_MS, signHop, verifyHop } from "./hop.ts";

const SECRET = "s".repeat(32);
const call = { method: "POST", path: "/v2/scrape/0190f1f4-7e7c-7000-8000-000000000001/interact" };

describe("the hop header", () => {
  it("proves a peer with the secret signed this very call, recently", () => {
    const now = 1_700_000_000_000;
    const header = signHop(SECRET, "node-a", call, now);
    assert.deepEqual(verifyHop(SECRET, header, call, now + 1_000), { ok: true, origin: "node-a" });
  });

  it("refuses a missing, malformed, forged, stale or replayed-elsewhere one, saying which", () => {
    const now = 1_700_000_000_000;
    const header = signHop(SECRET, "node-a", call, now);
    const reason = (h: string | undefined, c = call, at = now) => {
      const check = verifyHop(SECRET, h, c, at);
      return check.ok ? "ok" : check.reason;
    };
    assert.equal(reason(undefined), "no hop header");
    assert.equal(reason("node-a.123"), "a malformed hop header");
    assert.equal(
      reason(signHop("t".repeat(32), "node-a", call, now)),
      "a hop header with a wrong signature",
    );
    assert.equal(reason(header.replace("node-a", "node-b")), "a hop header with a wrong signature");
    assert.equal(reason(header, call, now + HOP_MAX_AGE_MS + 1), "a stale hop header");
    assert.equal(
      reason(header, { ...call, method: "DELETE" }),
      "a hop header with a wrong signature",
    );
    assert.equal(
      reason(header, { ...call, path: "/v2/browser/x/execute" }),
      "a hop header with a wrong signature",
    );
    assert.equal(reason(`${header}00`), "a hop header with a wrong signature");
  });
});
