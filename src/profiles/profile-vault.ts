import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Store } from "../store/store.ts";

/** A browser's saved state, as Playwright's `storageState()` gives it. */
export type StorageState = { cookies: unknown[]; origins: unknown[] } & Record<string, unknown>;

export interface ProfileSummary {
  name: string;
  size: number;
  updatedAt: number;
}

const KEY_FILE = "profile.key";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The key that seals profiles: PROFILE_ENCRYPTION_KEY when set, else one Skiff made once in
 * DATA_DIR (owner-only), so a fresh install is encrypted at rest without any set-up.
 */
export function profileKey(dataDir: string, configured: string | undefined): Buffer {
  if (configured) return Buffer.from(configured, "hex");
  const file = path.join(dataDir, KEY_FILE);
  if (!existsSync(file))
    writeFileSync(file, randomBytes(32).toString("hex"), { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return Buffer.from(readFileSync(file, "utf8").trim(), "hex");
}

/**
 * Profiles: a team's named browser states, sealed with AES-256-GCM (the team and name are the
 * associated data, so a sealed state cannot be moved to another profile), and their one-writer
 * leases.
 */
export class ProfileVault {
  readonly #store: Store;
  readonly #key: Buffer;

  constructor(store: Store, key: Buffer) {
    if (key.length !== 32) throw new Error("a profile key is 32 bytes");
    this.#store = store;
    this.#key = key;
  }

  async load(teamId: string, name: string): Promise<StorageState | undefined> {
    const row = await this.#store.getProfile(teamId, name);
    if (!row) return undefined;
    return JSON.parse(this.#open(row.sealed, teamId, name).toString("utf8")) as StorageState;
  }

  async save(teamId: string, name: string, state: StorageState): Promise<void> {
    const plain = Buffer.from(JSON.stringify(state), "utf8");
    const sealed = this.#seal(plain, teamId, name);
    await this.#store.putProfile({
      teamId,
      name,
      sealed,
      size: plain.length,
      updatedAt: Date.now(),
    });
  }

  async list(teamId: string): Promise<ProfileSummary[]> {
    const rows = await this.#store.listProfiles(teamId);
    return rows.map(({ name, size, updatedAt }) => ({ name, size, updatedAt }));
  }

  delete(teamId: string, name: string): Promise<boolean> {
    return this.#store.deleteProfile(teamId, name);
  }

  /** The writer lease for `holder` (a session) until `untilMs`; false while another holds it. */
  acquireWriter(teamId: string, name: string, holder: string, untilMs: number): Promise<boolean> {
    return this.#store.acquireProfileWriter(teamId, name, holder, Date.now(), untilMs);
  }

  releaseWriter(teamId: string, name: string, holder: string): Promise<void> {
    return this.#store.releaseProfileWriter(teamId, name, holder);
  }

  #seal(plain: Buffer, teamId: string, name: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(associatedData(teamId, name));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  #open(sealed: Buffer, teamId: string, name: string): Buffer {
    const iv = sealed.subarray(0, IV_BYTES);
    const tag = sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", this.#key, iv);
    decipher.setAAD(associatedData(teamId, name));
    decipher.setAuthTag(tag);
    return Buffer.concat([
      decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]);
  }
}

function associatedData(teamId: string, name: string): Buffer {
  return Buffer.from(`${teamId}\0${name}`, "utf8");
}
