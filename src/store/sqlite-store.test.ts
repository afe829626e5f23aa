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

  it("rebuilds the job tables for extract jobs keeping every row and index", async () => {
    const dir = freshDir();
    const at = MIGRATIONS.findIndex((m) => m.includes("CREATE TABLE job_groups_new"));
    const db = new Database(path.join(dir, "skiff.db"));
    for (const migration of MIGRATIONS.slice(0, at)) db.exec(migration);
    db.pragma(`user_version = ${at}`);
    db.exec(`INSERT INTO job_groups (id, team_id, kind, url, request, status, created_at)
      VALUES ('g1', 't1', 'crawl', 'https://a.test/', '{}', 'scraping', 1);
      INSERT INTO jobs (id, group_id, team_id, kind, url, depth, state, run_after, created_at)
      VALUES ('j1', 'g1', 't1', 'page', 'https://a.test/', 0, 'queued', 1, 1);`);
    db.close();
    const store = new SqliteStore(dir);
    assert.equal((await store.getJobGroup("g1"))?.kind, "crawl");
    await store.close();
    const migrated = new Database(path.join(dir, "skiff.db"));
    assert.deepEqual(migrated.prepare("SELECT id, state FROM jobs").all(), [
      { id: "j1", state: "queued" },
    ]);
    const indexes = migrated
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('jobs', 'job_groups') AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all()
      .map((r) => (r as { name: string }).name);
    assert.deepEqual(indexes, [
      "job_groups_finished",
      "job_groups_team",
      "jobs_group",
      "jobs_state",
      "jobs_team_active",
    ]);
    migrated.exec(`INSERT INTO job_groups (id, team_id, kind, request, status, created_at)
      VALUES ('g2', 't1', 'extract', '{}', 'scraping', 2)`);
    migrated.close();
  });
});
