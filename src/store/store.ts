/** A stored scrape: the replay context (url, options) and the document, all null under zero data retention. */
export interface ScrapeRow {
  id: string;
  teamId: string;
  url: string | null;
  /** The parsed request, as JSON: the replay context a later interact needs. */
  options: unknown;
  /** The response's `data`, serialized exactly as it was sent. */
  documentJson: string | null;
  createdAt: number;
}

export interface CacheEntry {
  url: string;
  documentJson: string;
  cachedAt: number;
}

/** A file Skiff serves for a while under an unguessable token (screenshots, PDFs from actions). */
export interface FileRow {
  token: string;
  teamId: string;
  path: string;
  contentType: string;
  expiresAt: number;
}

/** Everything Skiff keeps. SQLite now; Postgres later passes the same contract tests. */
export interface Store {
  insertScrape(row: ScrapeRow): Promise<void>;
  getScrape(id: string): Promise<ScrapeRow | undefined>;
  /** The newest entry for `key` cached at or after `notBefore` (ms since epoch). */
  getCached(key: string, notBefore: number): Promise<CacheEntry | undefined>;
  putCached(key: string, entry: CacheEntry): Promise<void>;
  insertFile(row: FileRow): Promise<void>;
  getFile(token: string): Promise<FileRow | undefined>;
  /** Removes and returns the files expired at `now`. */
  takeExpiredFiles(now: number): Promise<FileRow[]>;
  close(): Promise<void>;
}
