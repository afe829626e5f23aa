import { createHash, randomInt } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import type { ApiKeyRow } from "../store/store.ts";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const RANDOM_CHARS = 32;
/** Characters kept in the clear for listings: `fc-` and five of the random ones. */
const PREFIX_LENGTH = 8;

/** `fc-` and 32 characters of [a-z0-9], each drawn uniformly (randomInt has no modulo bias). */
export function newApiKey(): string {
  let key = "fc-";
  for (let i = 0; i < RANDOM_CHARS; i++) key += ALPHABET[randomInt(ALPHABET.length)];
  return key;
}

/** What the store keeps: the SHA-256 of the key, in hex. Keys are random, so no salt is needed. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** A fresh key for a team: the row to store (hash only) and the key to show once. */
export function issueApiKey(teamId: string, now: number): { row: ApiKeyRow; apiKey: string } {
  const apiKey = newApiKey();
  const row: ApiKeyRow = {
    id: uuidv7(),
    teamId,
    hash: hashApiKey(apiKey),
    prefix: apiKey.slice(0, PREFIX_LENGTH),
    createdAt: now,
    revokedAt: null,
  };
  return { row, apiKey };
}
