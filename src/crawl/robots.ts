import { createRequire } from "node:module";

interface ParsedRobots {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
  getSitemaps(): string[];
}
// A CommonJS function export, which its typings describe as an ES default.
const robotsParser = createRequire(import.meta.url)("robots-parser") as (
  url: string,
  body: string,
) => ParsedRobots;

/** The user agents whose rules a crawl follows, in upstream's order (spec §2.3). */
export const ROBOTS_USER_AGENTS = ["FireCrawlAgent", "FirecrawlAgent"];

export interface RobotsRules {
  allows: (url: URL) => boolean;
  /** `Crawl-delay`, in milliseconds, when the file sets one for the crawl's agent. */
  crawlDelayMs: number | undefined;
  /** `Sitemap:` lines. */
  sitemaps: string[];
}

/** The rules of a robots.txt served at `robotsUrl`; an empty body allows everything. */
export function parseRobots(robotsUrl: string, body: string): RobotsRules {
  const robots = robotsParser(robotsUrl, body);
  // A group for the agent, else the `*` group: robots-parser falls back as the standard says.
  const delay = robots.getCrawlDelay(ROBOTS_USER_AGENTS[0] ?? "*");
  return {
    allows: (url) => ROBOTS_USER_AGENTS.every((ua) => robots.isAllowed(url.href, ua) !== false),
    crawlDelayMs: delay === undefined ? undefined : Math.round(delay * 1000),
    sitemaps: robots.getSitemaps(),
  };
}

export const ALLOW_ALL: RobotsRules = { allows: () => true, crawlDelayMs: undefined, sitemaps: [] };
