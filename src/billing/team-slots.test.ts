import assert from "node:assert/strict";
import { NodeIdentity } from "../store/node-identity.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { AppError } from "../errors.ts";
import { SqliteStore } from "../store/sqlite-store.ts";
import { StoreSlots } from "./team-slots.ts";

describe("StoreSlots", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-slots-"));
  const store = new SqliteStore(dir);
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const slots = (limit: number | undefined) =>
    new StoreSlots(store, { kind: "session", limit, node: new NodeIdentity("node-1") });
  const tooMany = (err: unknown) =>
    err instanceof AppError && err.status === 429 && /concurrent jobs \(2\)/.test(err.message);

  it("gives each team its own slots, refuses past the limit, and takes each back once", async () => {
    const two = slots(2);
    const a1 = await two.take("a", "a1", 60_000);
    await two.take("a", "a2", 60_000);
    await assert.rejects(two.take("a", "a3", 60_000), tooMany);
    await two.take("b", "b1", 60_000);
    a1();
    a1();
    await two.take("a", "a3", 60_000);
    await assert.rejects(two.take("a", "a4", 60_000), tooMany, "a second release gave nothing");
  });

  it("has no limit when given none, and writes nothing then", async () => {
    const none = slots(undefined);
    for (let i = 0; i < 100; i++) await none.take("c", `c${i}`, 60_000);
    const limited = slots(1);
    await limited.take("c", "c-limited", 60_000);
  });
});
