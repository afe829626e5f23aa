import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validate, version } from "uuid";
import { hashApiKey, issueApiKey, newApiKey } from "./api-keys.ts";

describe("API keys", () => {
  it("are fc- and 32 characters of [a-z0-9], different each time", () => {
    const keys = Array.from({ length: 200 }, newApiKey);
    for (const key of keys) assert.match(key, /^fc-[a-z0-9]{32}$/);
    assert.equal(new Set(keys).size, keys.length);
  });

  it("draw from the whole alphabet", () => {
    const drawn = Array.from({ length: 100 }, () => newApiKey().slice(3)).join("");
    assert.equal(new Set(drawn).size, 36);
  });

  it("hash to the SHA-256 of the key, in hex", () => {
    const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assert.equal(hashApiKey("abc"), abc);
  });

  it("are issued as a row that holds the hash and a prefix, never the key", () => {
    const { row, apiKey } = issueApiKey("team-1", 42);
    assert.equal(row.hash, hashApiKey(apiKey));
    assert.equal(row.prefix, apiKey.slice(0, 8));
    assert.ok(validate(row.id) && version(row.id) === 7);
    assert.deepEqual([row.teamId, row.createdAt, row.revokedAt], ["team-1", 42, null]);
    assert.ok(!JSON.stringify(row).includes(apiKey));
  });
});
