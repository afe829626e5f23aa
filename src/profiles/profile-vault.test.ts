import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SqliteStore } from "../store/sqlite-store.ts";
import { profileKey, ProfileVault } from "./profile-vault.ts";

describe("ProfileVault", () => {
  let dir: string;
  let store: SqliteStore;
  let vault: ProfileVault;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "skiff-vault-"));
    store = new SqliteStore(dir);
    vault = new ProfileVault(store, profileKey(dir, undefined));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const state = (secret: string) => ({
    cookies: [{ name: "session", value: secret, domain: "127.0.0.1", path: "/" }],
    origins: [],
  });

  it("round-trips a state, per team and name", async () => {
    await vault.save("team-a", "shop", state("a-secret"));
    assert.deepEqual(await vault.load("team-a", "shop"), state("a-secret"));
    assert.equal(await vault.load("team-b", "shop"), undefined);
    assert.deepEqual(
      (await vault.list("team-a")).map((p) => p.name),
      ["shop"],
    );
  });

  it("keeps no plain text under DATA_DIR: not the cookie, not in the database files", async () => {
    const secret = `cookie-${Date.now()}-plain`;
    await vault.save("team-a", "bank", state(secret));
    for (const file of readdirSync(dir)) {
      const bytes = readFileSync(path.join(dir, file));
      assert.equal(bytes.includes(secret), false, `${file} holds the cookie in plain text`);
    }
  });

  it("makes its own key once, owner-only, and refuses a state moved to another profile", async () => {
    const keyFile = path.join(dir, "profile.key");
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.deepEqual(profileKey(dir, undefined), profileKey(dir, undefined));
    const row = await store.getProfile("team-a", "shop");
    assert.ok(row);
    await store.putProfile({ ...row, name: "stolen" });
    await assert.rejects(vault.load("team-a", "stolen"), /authenticate/);
    const other = new ProfileVault(store, profileKey(dir, "ab".repeat(32)));
    await assert.rejects(other.load("team-a", "shop"), /authenticate/);
  });
});
