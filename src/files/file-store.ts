import { randomBytes } from "node:crypto";
import type { Logger } from "../log.ts";
import type { Store } from "../store/store.ts";

const EXTENSIONS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "application/pdf": "pdf",
};

/**
 * Files Skiff hands out by URL (screenshots, PDFs from actions): kept in the store, so that any
 * node sharing it serves them, named by an unguessable token, removed once they expire.
 */
export class FileStore {
  #store: Store;
  #ttlMs: number;
  #logger: Logger;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(opts: { store: Store; ttlMs: number; logger: Logger }) {
    this.#store = opts.store;
    this.#ttlMs = opts.ttlMs;
    this.#logger = opts.logger;
  }

  /** Saves `bytes` and returns the file's name (token plus extension) for a URL path. */
  async save(bytes: Buffer, contentType: string, teamId: string): Promise<string> {
    const name = `${randomBytes(24).toString("base64url")}.${EXTENSIONS[contentType] ?? "bin"}`;
    await this.#store.insertFile({
      token: name,
      teamId,
      contentType,
      bytes,
      expiresAt: Date.now() + this.#ttlMs,
    });
    return name;
  }

  /** The file's bytes and type, or undefined when unknown or expired. */
  async read(name: string): Promise<{ bytes: Buffer; contentType: string } | undefined> {
    const row = await this.#store.getFile(name);
    if (!row || row.expiresAt <= Date.now()) return undefined;
    return { bytes: row.bytes, contentType: row.contentType };
  }

  /** Deletes expired files now and then every `everyMs`. */
  startSweeping(everyMs: number): void {
    this.#sweeper = setInterval(() => void this.sweep(), everyMs);
    this.#sweeper.unref();
  }

  async sweep(): Promise<number> {
    const count = await this.#store.deleteExpiredFiles(Date.now());
    if (count > 0) this.#logger.info({ count }, "expired files removed");
    return count;
  }

  stop(): void {
    clearInterval(this.#sweeper);
  }
}
