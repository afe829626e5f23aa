import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SqliteStore } from "../store/sqlite-store.ts";
import { issueApiKey } from "./api-keys.ts";
import { KeyAuthenticator } from "./key-authenticator.ts";

describe("KeyAuthenticator", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-auth-"));
  const store = new SqliteStore(dir);
  const auth = new KeyAuthenticator(store);
  const { row, apiKey } = issueApiKey("team-k", 1);
  before(() => store.insertApiKey(row));
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const refusal = (message: string) => ({ name: "AppError", status: 401, message });

  it("answers the key's team for `Bearer <key>`", async () => {
    assert.deepEqual(await auth.authenticate(`Bearer ${apiKey}`), { teamId: "team-k" });
    assert.deepEqual(await auth.authenticate(`bearer  ${apiKey} `), { teamId: "team-k" });
  });

  it("says the token is missing when there is no bearer token", async () => {
    for (const header of [undefined, "", "Bearer", "Bearer ", apiKey, `Basic ${apiKey}`]) {
      await assert.rejects(auth.authenticate(header), refusal("Unauthorized: Token missing"));
    }
  });

  it("says the token is invalid when no live key matches", async () => {
    const invalid = refusal("Unauthorized: Invalid token");
    await assert.rejects(auth.authenticate(`Bearer ${apiKey}x`), invalid);
    await assert.rejects(auth.authenticate(`Bearer ${row.hash}`), invalid, "the hash is no key");
    await store.revokeApiKey(row.id, 2);
    await assert.rejects(auth.authenticate(`Bearer ${apiKey}`), invalid);
  });
});
