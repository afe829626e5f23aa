import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { documentBaseUrl, parseHtml } from "./html-dom.ts";
import { extractMetadata, type PageMetadata } from "./metadata.ts";

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/pages/${name}`, import.meta.url), "utf8");

function metadataOf(html: string, url: string): PageMetadata {
  const $ = parseHtml(html);
  const pageUrl = new URL(url);
  return extractMetadata($, pageUrl, documentBaseUrl($, pageUrl));
}

describe("extractMetadata", () => {
  const metadata = metadataOf(fixture("rich-meta.html"), "https://maree.example.ca/guide?ref=x");

  it("reads title, description, language, keywords and robots", () => {
    assert.equal(metadata.title, "Le guide des marées");
    assert.equal(metadata.description, "Tout sur les marées.");
    assert.equal(metadata.language, "fr-CA");
    assert.equal(metadata.keywords, "marées, océan, lune");
    assert.equal(metadata.robots, "index, follow");
  });

  it("reads Open Graph fields under their camelCase names", () => {
    assert.deepEqual(
      [
        metadata.ogTitle,
        metadata.ogDescription,
        metadata.ogUrl,
        metadata.ogImage,
        metadata.ogAudio,
      ],
      [
        "Guide des marées",
        "Un guide complet.",
        "https://maree.example.ca/guide",
        "https://maree.example.ca/og.png",
        "https://maree.example.ca/vagues.mp3",
      ],
    );
    assert.equal(metadata.ogDeterminer, "le");
    assert.equal(metadata.ogLocale, "fr_CA");
    assert.deepEqual(metadata.ogLocaleAlternate, ["en_CA", "en_US"]);
    assert.equal(metadata.ogSiteName, "Marées");
    assert.equal(metadata.ogVideo, "https://maree.example.ca/video.mp4");
  });

  it("reads Dublin Core fields", () => {
    assert.deepEqual(
      {
        dcTermsCreated: metadata.dcTermsCreated,
        dcDateCreated: metadata.dcDateCreated,
        dcDate: metadata.dcDate,
        dcTermsType: metadata.dcTermsType,
        dcType: metadata.dcType,
        dcTermsAudience: metadata.dcTermsAudience,
        dcTermsSubject: metadata.dcTermsSubject,
        dcSubject: metadata.dcSubject,
        dcDescription: metadata.dcDescription,
        dcTermsKeywords: metadata.dcTermsKeywords,
      },
      {
        dcTermsCreated: "2023-01-02",
        dcDateCreated: "2023-01-03",
        dcDate: "2023-01-04",
        dcTermsType: "Text",
        dcType: "Article",
        dcTermsAudience: "Grand public",
        dcTermsSubject: "Océanographie",
        dcSubject: "Marées",
        dcDescription: "Description DC",
        dcTermsKeywords: "lune, soleil",
      },
    );
  });

  it("reads article times, the first tag and the section", () => {
    assert.equal(metadata.publishedTime, "2024-03-01T08:00:00Z");
    assert.equal(metadata.modifiedTime, "2024-03-05T09:30:00Z");
    assert.equal(metadata.articleTag, "marées");
    assert.equal(metadata.articleSection, "Science");
  });

  it("prefers an icon link to apple-touch-icon, resolved to an absolute URL", () => {
    assert.equal(metadata.favicon, "https://maree.example.ca/favicon-32.png");
  });

  it("keeps every other meta tag under its own name, repeated ones as arrays", () => {
    assert.equal(metadata.viewport, "width=device-width, initial-scale=1");
    assert.equal(metadata["twitter:card"], "summary_large_image");
    assert.equal(metadata["theme-color"], "#003366");
    assert.equal(metadata["og:title"], "Guide des marées");
    assert.deepEqual(metadata["article:tag"], ["marées", "lune"]);
    assert.equal(metadata.position, "1");
  });

  it("skips empty contents, http-equiv tags and SVG titles", () => {
    assert.equal(metadata["empty-one"], undefined);
    assert.equal(metadata["x-ua-compatible"], undefined);
    assert.ok(!JSON.stringify(metadata).includes("Icon title"));
  });
});

describe("extractMetadata fallbacks", () => {
  it("falls back to og:title and to /favicon.ico at the origin", () => {
    const html =
      '<html><head><meta property="og:title" content="From OG"></head><body></body></html>';
    const metadata = metadataOf(html, "https://a.example/deep/page");
    assert.equal(metadata.title, "From OG");
    assert.equal(metadata.favicon, "https://a.example/favicon.ico");
    assert.equal(metadata.language, undefined);
  });

  it("resolves the favicon against <base href>", () => {
    const metadata = metadataOf(
      fixture("relative-links.html"),
      "https://www.example.org/start/page.html",
    );
    assert.equal(metadata.favicon, "https://cdn.example.org/docs/static/icon.png");
  });

  it("joins repeated descriptions and matches names case-insensitively", () => {
    const html =
      '<html><head><meta name="Description" content="One"><meta name="description" content="Two"></head></html>';
    assert.equal(metadataOf(html, "https://a.example/").description, "One, Two");
  });

  it("treats a meta named __proto__ as data, not as a prototype", () => {
    const html =
      '<html><head><meta name="__proto__" content="x"><meta name="constructor" content="y"></head></html>';
    const metadata = metadataOf(html, "https://a.example/");
    assert.equal(Object.getPrototypeOf(metadata), Object.prototype);
    assert.equal(metadata.constructor, "y");
  });
});
