import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dedupeKey } from "./crawl-urls.ts";
import { LinkFilter, type LinkFilterOptions } from "./link-filter.ts";

function filter(seed: string, options: Partial<LinkFilterOptions> = {}): LinkFilter {
  return new LinkFilter({
    seed: new URL(seed),
    includePaths: [],
    excludePaths: [],
    regexOnFullURL: false,
    crawlEntireDomain: false,
    allowExternalLinks: false,
    allowSubdomains: false,
    ...options,
  });
}

/** The verdict's URL, or its denial. */
function verdict(f: LinkFilter, href: string, base = "https://site.test/blog/"): string {
  const v = f.check(href, new URL(base));
  return "url" in v ? v.url.href : v.denied;
}

describe("LinkFilter (spec §2.3)", () => {
  it("keeps a seed's scope: /blog allows /blog and /blog/*, not /blogs", () => {
    const f = filter("https://site.test/blog");
    assert.equal(verdict(f, "/blog"), "https://site.test/blog");
    assert.equal(verdict(f, "post"), "https://site.test/blog/post");
    assert.equal(verdict(f, "/blogs"), "OUT_OF_SCOPE");
    assert.equal(
      verdict(filter("https://site.test/docs/a.html"), "/docs/b"),
      "https://site.test/docs/b",
    );
    assert.equal(
      verdict(filter("https://site.test/blog", { crawlEntireDomain: true }), "/x"),
      "https://site.test/x",
    );
  });

  it("refuses non-web schemes, skipped file types and section links, but follows hash routes", () => {
    const f = filter("https://site.test/");
    assert.equal(verdict(f, "mailto:a@b.test"), "NON_WEB_PROTOCOL");
    assert.equal(verdict(f, "/logo.PNG"), "FILE_TYPE");
    assert.equal(verdict(f, "/doc.pdf"), "https://site.test/doc.pdf");
    assert.equal(verdict(f, "/page#part"), "SECTION_LINK");
    assert.equal(verdict(f, "/app#/route"), "https://site.test/app#/route");
    assert.equal(verdict(f, "http://[bad"), "URL_PARSE_ERROR");
  });

  it("tests excludePaths before includePaths, unanchored, on the path or the full URL", () => {
    const f = filter("https://site.test/", {
      includePaths: [/^\/docs\//],
      excludePaths: [/secret/],
    });
    assert.equal(verdict(f, "/docs/a"), "https://site.test/docs/a");
    assert.equal(verdict(f, "/docs/secret-a"), "EXCLUDED");
    assert.equal(verdict(f, "/blog/a"), "NOT_INCLUDED");
    const full = filter("https://site.test/", {
      includePaths: [/\?lang=en/],
      regexOnFullURL: true,
    });
    assert.equal(verdict(full, "/a?lang=en"), "https://site.test/a?lang=en");
    assert.equal(verdict(full, "/a?lang=de"), "NOT_INCLUDED");
  });

  it("follows external links only when asked, never to social sites or bare homepages", () => {
    const f = filter("https://site.test/", { allowExternalLinks: true });
    assert.equal(verdict(f, "https://other.test/page"), "https://other.test/page");
    assert.equal(verdict(f, "https://other.test/"), "EXTERNAL_LINK");
    assert.equal(verdict(f, "https://twitter.com/x"), "SOCIAL_MEDIA");
    assert.equal(verdict(filter("https://site.test/"), "https://other.test/page"), "EXTERNAL_LINK");
    const subs = filter("https://www.site.test/", { allowSubdomains: true });
    assert.equal(verdict(subs, "https://docs.site.test/a"), "https://docs.site.test/a");
    assert.equal(verdict(subs, "https://site-other.test/a"), "EXTERNAL_LINK");
  });

  it("asks robots.txt about internal links unless it is ignored", () => {
    const f = filter("https://site.test/", {
      robotsAllow: (u) => !u.pathname.startsWith("/private"),
    });
    assert.equal(verdict(f, "/private/x"), "ROBOTS_TXT");
    assert.equal(verdict(f, "/public"), "https://site.test/public");
  });
});

describe("dedupeKey", () => {
  const key = (url: string, ignoreQueryParameters = false, deduplicateSimilarURLs = true) =>
    dedupeKey(new URL(url), { ignoreQueryParameters, deduplicateSimilarURLs });

  it("makes www, scheme, trailing slash and index pages one page", () => {
    const same = [
      "https://site.test/a",
      "http://www.site.test/a/",
      "https://site.test/a/index.html",
    ];
    assert.equal(new Set(same.map((u) => key(u))).size, 1);
    assert.notEqual(
      key("https://site.test/a", false, false),
      key("http://site.test/a", false, false),
    );
    assert.notEqual(key("https://site.test/a"), key("https://site.test/b"));
  });

  it("keeps the query unless told to ignore it, and a route fragment always", () => {
    assert.notEqual(key("https://site.test/a?x=1"), key("https://site.test/a?x=2"));
    assert.equal(key("https://site.test/a?x=1", true), key("https://site.test/a?x=2", true));
    assert.equal(key("https://site.test/a#top"), key("https://site.test/a"));
    assert.notEqual(key("https://site.test/a#/r"), key("https://site.test/a"));
  });
});
