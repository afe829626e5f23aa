import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { SqliteStore } from "../store/sqlite-store.ts";
import { hashApiKey } from "./api-keys.ts";
import { KeyAuthenticator } from "./key-authenticator.ts";
import { Teams } from "./teams.ts";

describe("Teams", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-teams-"));
  const store = new SqliteStore(dir);
  let clock = 1_000;
  const teams = new Teams(store, () => clock++);
  const auth = new KeyAuthenticator(store);
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const notFound = (kind: string) => ({ name: "AppError", kind, status: 404 });

  it("creates a team with its credits and a first key that authenticates", async () => {
    const created = await teams.createTeam("Acme", 500);
    assert.match(created.apiKey, /^fc-[a-z0-9]{32}$/);
    assert.deepEqual(await auth.authenticate(`Bearer ${created.apiKey}`), { teamId: created.id });
    const listed = (await teams.listTeams()).find((t) => t.id === created.id);
    assert.deepEqual(listed?.credits, { granted: 500, remaining: 500 });
    assert.equal(listed?.name, "Acme");
    const [grant] = await store.ledger(created.id);
    assert.match(grant?.ref ?? "", /^grant:[0-9a-f-]{36}$/);
  });

  it("grants nothing for a team created with no credits", async () => {
    const created = await teams.createTeam("Free", 0);
    assert.deepEqual(await store.ledger(created.id), []);
  });

  it("adds credits to a known team only", async () => {
    const { id } = await teams.createTeam("Grow", 10);
    assert.deepEqual(await teams.addCredits(id, 5), { granted: 15, remaining: 15 });
    await assert.rejects(teams.addCredits("no-such-team", 5), notFound("TEAM_NOT_FOUND"));
  });

  it("issues more keys and lists them without their hashes", async () => {
    const { id, apiKey: first } = await teams.createTeam("Keys", 0);
    const second = await teams.createKey(id);
    const keys = await teams.listKeys(id);
    assert.deepEqual(Object.keys(keys[0] ?? {}).sort(), ["createdAt", "id", "prefix", "revokedAt"]);
    assert.deepEqual(
      keys.map((k) => k.prefix),
      [first.slice(0, 8), second.apiKey.slice(0, 8)],
    );
    assert.ok(!JSON.stringify(keys).includes(hashApiKey(first)));
    await assert.rejects(teams.createKey("no-such-team"), notFound("TEAM_NOT_FOUND"));
    await assert.rejects(teams.listKeys("no-such-team"), notFound("TEAM_NOT_FOUND"));
  });

  it("revokes a key once, after which it no longer authenticates", async () => {
    const { id } = await teams.createTeam("Revoke", 0);
    const key = await teams.createKey(id);
    await teams.revokeKey(key.id);
    await assert.rejects(auth.authenticate(`Bearer ${key.apiKey}`), { status: 401 });
    await assert.rejects(teams.revokeKey(key.id), notFound("KEY_NOT_FOUND"));
    await assert.rejects(teams.revokeKey("no-such-key"), notFound("KEY_NOT_FOUND"));
    const [listed] = (await teams.listKeys(id)).filter((k) => k.id === key.id);
    assert.equal(typeof listed?.revokedAt, "number");
  });
});
