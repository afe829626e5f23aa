/**
 * The last markdown a team scraped of a URL under one change-tracking tag (spec §7.3): what the
 * next scrape with `changeTracking` is compared against. A null tag is stored as "".
 */
export interface PageSnapshot {
  teamId: string;
  url: string;
  tag: string;
  markdown: string;
  /** When the scrape that made it ran (ms since epoch). */
  scrapedAt: number;
}

/** Per (team, URL, tag), only the newest snapshot is kept; another team never sees it. */
export interface ChangeHistory {
  lastSnapshot(teamId: string, url: string, tag: string): Promise<PageSnapshot | undefined>;
  /** Replaces the snapshot unless the one stored is newer (two scrapes finishing out of order). */
  putSnapshot(snapshot: PageSnapshot): Promise<void>;
}

/** A `change_history` row as both stores return it. */
export interface SnapshotRecord {
  team_id: string;
  url: string;
  tag: string;
  markdown: string;
  scraped_at: number;
}

export function toSnapshot(r: SnapshotRecord): PageSnapshot {
  return {
    teamId: r.team_id,
    url: r.url,
    tag: r.tag,
    markdown: r.markdown,
    scrapedAt: r.scraped_at,
  };
}
