import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { documentBaseUrl, parseHtml } from "./html-dom.ts";
import { extractLinks } from "./links.ts";

const fixture = readFileSync(
  new URL("../../../test/fixtures/pages/relative-links.html", import.meta.url),
  "utf8",
);

describe("extractLinks", () => {
  it("returns absolute links against <base href>, de-duplicated, in document order", () => {
    const $ = parseHtml(fixture);
    const links = extractLinks(
      $,
      documentBaseUrl($, new URL("https://www.example.org/start/page.html")),
    );
    assert.deepEqual(links, [
      "https://cdn.example.org/",
      "https://cdn.example.org/docs/v2/guide/intro.html",
      "https://cdn.example.org/docs/v1/changes.html?from=1&to=2#top",
      "https://cdn.example.org/about",
      "mailto:docs@example.org",
      "https://other.example.net/path",
      "https://cdn.example.org/docs/v2/#section-2",
    ]);
  });

  it("resolves against the page URL when there is no <base>", () => {
    const $ = parseHtml(
      '<a href="../up">u</a><a href="JavaScript:alert(1)">j</a><a>none</a><a href="tel:+331">t</a>',
    );
    assert.deepEqual(extractLinks($, new URL("https://a.example/x/y/z")), [
      "https://a.example/x/up",
      "tel:+331",
    ]);
  });
});
