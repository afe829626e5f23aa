import assert from "node:assert/strict";
import { NodeIdentity } from "../store/node-identity.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { AppError } from "../errors.ts";
import { SqliteStore } from "../store/sqlite-store.ts";
import { Credits } from "./credits.ts";

describe("Credits", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-credits-"));
  const store = new SqliteStore(dir);
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const grant = (teamId: string, delta: number, ref: string) =>
    store.appendLedger({ teamId, delta, reason: "grant", ref, createdAt: Date.now() });
  const refusal = (kind: string) => (err: unknown) => err instanceof AppError && err.kind === kind;

  it("needs 1 credit for a scrape and the estimate for a session, from the ledger", async () => {
    const credits = new Credits(store, { enforced: true, node: new NodeIdentity("node-1") });
    await assert.rejects(credits.holdForScrape("t1"), refusal("INSUFFICIENT_CREDITS"));
    await grant("t1", 19, "grant:1");
    (await credits.holdForScrape("t1"))();
    await assert.rejects(credits.holdForSession("t1", 600), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.match(
        err.message,
        /^Insufficient credits for a 600s browser session \(requires ~20 credits\)/,
      );
      return true;
    });
    (await credits.holdForSession("t1", 540))();
    await grant("t1", 1, "grant:2");
    (await credits.holdForSession("t1", 600))();
    assert.deepEqual(await credits.usage("t1"), {
      remainingCredits: 20,
      planCredits: 20,
      billingPeriodStart: null,
      billingPeriodEnd: null,
    });
  });

  it("holds what a check passed until it is given back, so checks at once cannot overspend", async () => {
    const credits = new Credits(store, { enforced: true, node: new NodeIdentity("node-1") });
    await grant("t2", 30, "grant:3");
    const checks = await Promise.allSettled([
      credits.holdForSession("t2", 600),
      credits.holdForSession("t2", 600),
    ]);
    assert.deepEqual(
      checks.map((c) => c.status),
      ["fulfilled", "rejected"],
      "30 credits cover one 20-credit estimate, not two",
    );
    const first = checks[0];
    assert.ok(first?.status === "fulfilled");
    await assert.rejects(
      credits
        .holdForScrape("t2")
        .then((r) => r())
        .then(() => credits.holdForSession("t2", 600)),
    );
    first.value();
    first.value();
    (await credits.holdForSession("t2", 600))();
  });

  it("enforces nothing with AUTH=none, as Firecrawl's self-host", async () => {
    const credits = new Credits(store, { enforced: false, node: new NodeIdentity("node-1") });
    (await credits.holdForScrape("nobody"))();
    (await credits.holdForSession("nobody", 3600))();
    assert.equal((await credits.usage("nobody")).remainingCredits, 99_999_999);
  });
});
