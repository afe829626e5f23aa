import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../log.ts";
import type { Store } from "../store/store.ts";

const EXTENSIONS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "application/pdf": "pdf",
};

/**
 * Files Skiff hands out by URL (screenshots, PDFs from actions): kept under `<dataDir>/files`,
 * named by an unguessable token, removed once they expire.
 */
export class FileStore {
  #dir: string;
  #store: Store;
  #ttlMs: number;
  #logger: Logger;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(opts: { dataDir: string; store: Store; ttlMs: number; logger: Logger }) {
    this.#dir = path.join(opts.dataDir, "files");
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    this.#store = opts.store;
    this.#ttlMs = opts.ttlMs;
    this.#logger = opts.logger;
  }

  /** Saves `bytes` and returns the file's name (token plus extension) for a URL path. */
  async save(bytes: Buffer, contentType: string, teamId: string): Promise<string> {
    const name = `${randomBytes(24).toString("base64url")}.${EXTENSIONS[contentType] ?? "bin"}`;
    const file = path.join(this.#dir, name);
    await writeFile(file, bytes, { mode: 0o600 });
    await this.#store.insertFile({
      token: name,
      teamId,
      path: file,
      contentType,
      expiresAt: Date.now() + this.#ttlMs,
    });
    return name;
  }

  /** The file's bytes and type, or undefined when unknown or expired. */
  async read(name: string): Promise<{ bytes: Buffer; contentType: string } | undefined> {
    const row = await this.#store.getFile(name);
    if (!row || row.expiresAt <= Date.now()) return undefined;
    return { bytes: await readFile(row.path), contentType: row.contentType };
  }

  /** Deletes expired files now and then every `everyMs`. */
  startSweeping(everyMs: number): void {
    this.#sweeper = setInterval(() => void this.sweep(), everyMs);
    this.#sweeper.unref();
  }

  async sweep(): Promise<number> {
    const expired = await this.#store.takeExpiredFiles(Date.now());
    await Promise.all(expired.map((f) => rm(f.path, { force: true })));
    if (expired.length > 0) this.#logger.info({ count: expired.length }, "expired files removed");
    return expired.length;
  }

  stop(): void {
    clearInterval(this.#sweeper);
  }
}
