import { getDomain } from "tldts";
import { sameHost, seedScope } from "./crawl-urls.ts";

export interface LinkFilterOptions {
  seed: URL;
  includePaths: RegExp[];
  excludePaths: RegExp[];
  regexOnFullURL: boolean;
  crawlEntireDomain: boolean;
  allowExternalLinks: boolean;
  allowSubdomains: boolean;
  /** Whether robots.txt lets the crawl fetch a URL; absent when it is ignored. */
  robotsAllow?: ((url: URL) => boolean) | undefined;
}

/** Why a link is not followed: upstream's reason codes (spec §2.3). */
export type Denial =
  | "URL_PARSE_ERROR"
  | "NON_WEB_PROTOCOL"
  | "FILE_TYPE"
  | "SECTION_LINK"
  | "OUT_OF_SCOPE"
  | "EXCLUDED"
  | "NOT_INCLUDED"
  | "ROBOTS_TXT"
  | "SOCIAL_MEDIA"
  | "EXTERNAL_LINK";

export type Verdict = { url: URL } | { denied: Denial };

const SKIPPED_EXTENSIONS =
  /\.(png|jpe?g|gif|css|js|ico|svg|tiff|zip|exe|dmg|mp4|mp3|wav|pptx|xlsx|avi|flv|woff2?|ttf|webp|inc)$/i;
const SOCIAL_MEDIA = [
  "facebook.com",
  "twitter.com",
  "linkedin.com",
  "instagram.com",
  "pinterest.com",
  "github.com",
  "calendly.com",
  "discord.gg",
  "discord.com",
];

/** Decides, link by link and in upstream's order, which discovered URLs a crawl follows. */
export class LinkFilter {
  readonly #options: LinkFilterOptions;
  readonly #inScope: (path: string) => boolean;

  constructor(options: LinkFilterOptions) {
    this.#options = options;
    this.#inScope = seedScope(options.seed);
  }

  /** `href` as found on the page at `base`. */
  check(href: string, base: URL): Verdict {
    let url: URL;
    try {
      url = new URL(href, base);
    } catch {
      return { denied: "URL_PARSE_ERROR" };
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      return { denied: "NON_WEB_PROTOCOL" };
    if (SKIPPED_EXTENSIONS.test(url.pathname)) return { denied: "FILE_TYPE" };
    const denial = sameHost(url, this.#options.seed)
      ? this.#internal(url)
      : this.#external(url, base);
    return denial ? { denied: denial } : { url };
  }

  #internal(url: URL): Denial | undefined {
    if (url.hash && !(url.hash.includes("/") && url.hash.length > 1)) return "SECTION_LINK";
    if (!this.#options.crawlEntireDomain && !this.#inScope(url.pathname)) return "OUT_OF_SCOPE";
    return this.#pathRules(url) ?? this.#robots(url);
  }

  #external(url: URL, base: URL): Denial | undefined {
    const { seed, allowExternalLinks, allowSubdomains, excludePaths } = this.#options;
    if (SOCIAL_MEDIA.some((site) => url.href.includes(site))) return "SOCIAL_MEDIA";
    if (excludePaths.some((re) => re.test(url.href))) return "EXCLUDED";
    const bareHomepage = url.pathname === "/" || url.pathname === "";
    if (allowExternalLinks && sameHost(seed, base) && !bareHomepage) return undefined;
    const sameSite = getDomain(url.hostname) === getDomain(seed.hostname);
    if (allowSubdomains && sameSite) return this.#pathRules(url) ?? this.#robots(url);
    return "EXTERNAL_LINK";
  }

  /** excludePaths first, then includePaths, unanchored, on the path (or the whole URL). */
  #pathRules(url: URL): Denial | undefined {
    const { includePaths, excludePaths, regexOnFullURL } = this.#options;
    const subject = regexOnFullURL ? url.href : url.pathname;
    if (excludePaths.some((re) => re.test(subject))) return "EXCLUDED";
    if (includePaths.length > 0 && !includePaths.some((re) => re.test(subject))) {
      return "NOT_INCLUDED";
    }
    return undefined;
  }

  #robots(url: URL): Denial | undefined {
    return this.#options.robotsAllow && !this.#options.robotsAllow(url) ? "ROBOTS_TXT" : undefined;
  }
}
