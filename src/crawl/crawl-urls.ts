// How a crawl names and scopes URLs (spec §2.3): the dedupe key of a page, the seed's scope, and
// which host a link belongs to.

export interface DedupeOptions {
  ignoreQueryParameters: boolean;
  deduplicateSimilarURLs: boolean;
}

/** A fragment that is a client-side route (`#/…`, `#!/…`) names a page of its own. */
export function isRouteFragment(hash: string): boolean {
  return hash.startsWith("#/") || hash.startsWith("#!/");
}

/**
 * The key under which a crawl visits a URL once. With `deduplicateSimilarURLs`, http and https,
 * `www.` or not, and a path's `/`, `/index.html` and `/index.php` are one page.
 */
export function dedupeKey(url: URL, options: DedupeOptions): string {
  const hash = isRouteFragment(url.hash) ? url.hash : "";
  const search = options.ignoreQueryParameters ? "" : url.search;
  if (!options.deduplicateSimilarURLs) {
    return `${url.protocol}//${url.host}${url.pathname}${search}${hash}`;
  }
  const host = withoutWww(url.host);
  const path = url.pathname.replace(/\/(index\.html?|index\.php)$/i, "/").replace(/\/+$/, "");
  return `${host}${path}${search}${hash}`;
}

export function withoutWww(host: string): string {
  return host.toLowerCase().replace(/^www\./, "");
}

/** Same site for a crawl: the same host, `www.` aside. */
export function sameHost(a: URL, b: URL): boolean {
  return withoutWww(a.host) === withoutWww(b.host);
}

/**
 * The paths a crawl may visit without `crawlEntireDomain`: below the seed's folder. A seed path
 * ending in `/` is its own prefix; a file-like last segment gives its folder; otherwise the path
 * itself and everything under `path/`.
 */
export function seedScope(seed: URL): (path: string) => boolean {
  const path = seed.pathname;
  const prefix = scopePrefix(seed);
  return (p) => p.startsWith(prefix) || p === path;
}

/** The folder a seed's scope starts at, ending in `/`. */
export function scopePrefix(seed: URL): string {
  const path = seed.pathname;
  if (path.endsWith("/")) return path;
  const lastSegment = path.slice(path.lastIndexOf("/") + 1);
  if (/\.[A-Za-z0-9]{2,}$/.test(lastSegment)) return path.slice(0, path.lastIndexOf("/") + 1);
  return `${path}/`;
}
