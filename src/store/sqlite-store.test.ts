import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { MIGRATIONS } from "./sqlite-schema.ts";
import { SqliteStore } from "./sqlite-store.ts";
import { sessionRow, storeContract } from "./store-contract.ts";

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-store-"));
  dirs.push(dir);
  return dir;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

storeContract("SqliteStore", () => Promise.resolve(new SqliteStore(freshDir())));

describe("SqliteStore on disk", () => {
  it("uses WAL and keeps its data across a reopen, migrating only once", async () => {
    const dir = freshDir();
    const first = new SqliteStore(dir);
    const row = sessionRow();
    await first.insertSession(row);
    await first.close();
    const second = new SqliteStore(dir);
    assert.equal((await second.getSessionByScrape(row.scrapeId ?? ""))?.id, row.id);
    await second.close();
    const db = new Database(path.join(dir, "skiff.db"), { readonly: true });
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(db.pragma("user_version", { simple: true }), MIGRATIONS.length);
    db.close();
  });
});
