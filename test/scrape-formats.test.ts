// POST /v2/scrape end to end: real server, real Chromium, the local test site. Formats and GET.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { postJson, useSkiffAndSite } from "./helpers/skiff-harness.ts";

const t = useSkiffAndSite();

/** Scrapes with the cache bypassed unless the body says otherwise. */
async function scrape(body: Record<string, unknown>) {
  return postJson(`${t.server.url}/v2/scrape`, { maxAge: 0, ...body });
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("the default scrape of an article", () => {
  let body: Record<string, any>;
  before(async () => {
    const r = await scrape({ url: `${t.site.url}/article` });
    assert.equal(r.status, 200);
    body = r.body;
  });

  it("answers success with markdown and metadata only", () => {
    assert.equal(body.success, true);
    assert.deepEqual(Object.keys(body.data), ["markdown", "metadata"]);
    assert.equal("scrape_id" in body, false);
  });

  it("keeps the main content as markdown, with a table, a code fence and absolute links", () => {
    const md: string = body.data.markdown;
    assert.match(md, /# Skiff Test Article/);
    assert.match(md, /\*\*known content\*\*/);
    assert.match(md, /\| Name \| Value \|/);
    assert.match(md, /```js\nconst answer = 42;/);
    assert.ok(md.includes(`](${t.site.url}/form)`), md);
    assert.ok(md.includes(`](${t.site.url}/tabs)`), md);
  });

  it("drops header, nav, sidebar and footer chrome", () => {
    const md: string = body.data.markdown;
    for (const chrome of ["Header chrome", "Footer chrome", "Related", "A long page"]) {
      assert.equal(md.includes(chrome), false, `${chrome} should be gone`);
    }
  });

  it("carries the page's metadata and the scrape's facts", () => {
    const m = body.data.metadata;
    assert.equal(m.title, "Skiff Test Article");
    assert.equal(m.description, "A test article served by the Skiff fixture site.");
    assert.equal(m.language, "en");
    assert.equal(m.keywords, "skiff, scraping, fixtures");
    assert.equal(m.robots, "index, follow");
    assert.equal(m.viewport, "width=device-width, initial-scale=1");
    assert.equal(m.ogTitle, "Skiff Test Article (og)");
    assert.equal(m.ogSiteName, "Skiff Fixtures");
    assert.deepEqual(m.ogLocaleAlternate, ["fr_FR", "de_DE"]);
    assert.equal(m.publishedTime, "2024-01-15T09:00:00Z");
    assert.equal(m.favicon, `${t.site.url}/favicon.ico`);
    assert.match(m.scrapeId, UUID_V7);
    assert.equal(m.sourceURL, `${t.site.url}/article`);
    assert.equal(m.url, `${t.site.url}/article`);
    assert.equal(m.statusCode, 200);
    assert.match(m.contentType, /^text\/html/);
    assert.equal(m.proxyUsed, "basic");
    assert.equal(m.creditsUsed, 1);
    assert.equal(m.concurrencyLimited, false);
  });

  it("is stored and returned byte for byte by GET /v2/scrape/{id}", async () => {
    const id = body.data.metadata.scrapeId as string;
    const res = await fetch(`${t.server.url}/v2/scrape/${id}`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), JSON.stringify(body));
  });
});

describe("formats", () => {
  it("keeps the chrome with onlyMainContent: false", async () => {
    const r = await scrape({ url: `${t.site.url}/article`, onlyMainContent: false });
    assert.match(r.body.data.markdown, /Header chrome/);
    assert.match(r.body.data.markdown, /Footer chrome/);
  });

  it("html is cleaned with absolute URLs; rawHtml is the page as rendered", async () => {
    const r = await scrape({ url: `${t.site.url}/article`, formats: ["html", "rawHtml"] });
    const { html, rawHtml } = r.body.data;
    assert.equal(r.body.data.markdown, undefined);
    assert.ok(html.includes(`href="${t.site.url}/form"`));
    assert.doesNotMatch(html, /<script|<nav|Header chrome/);
    assert.match(rawHtml, /<nav class="site-nav">/);
    assert.match(rawHtml, /<title>Skiff Test Article<\/title>/);
  });

  it("links and images are absolute and from the whole page", async () => {
    const r = await scrape({ url: `${t.site.url}/article`, formats: ["links", "images"] });
    const { links, images } = r.body.data;
    for (const l of ["/form", "/tabs", "/long", "/client-rendered?from=article#top"]) {
      assert.ok(links.includes(`${t.site.url}${l}`), `${l} in ${links}`);
    }
    assert.ok(links.includes("https://example.com/external"));
    assert.deepEqual(images, [`${t.site.url}/images/hero.png`]);
  });

  it("screenshot is a URL served by Skiff: PNG by default, JPEG with quality", async () => {
    const r = await scrape({
      url: `${t.site.url}/long`,
      formats: [{ type: "screenshot", fullPage: true }],
    });
    const url: string = r.body.data.screenshot;
    assert.ok(url.startsWith(`${t.server.url}/files/`), url);
    const png = Buffer.from(await (await fetch(url)).arrayBuffer());
    assert.equal(png.subarray(1, 4).toString(), "PNG");
    assert.ok(png.readUInt32BE(20) > 1000, "a full-page shot is taller than the viewport");

    const j = await scrape({
      url: `${t.site.url}/article`,
      formats: [{ type: "screenshot", quality: 50 }],
    });
    const jpeg = Buffer.from(await (await fetch(j.body.data.screenshot as string)).arrayBuffer());
    assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
  });

  it("includeTags keeps only what matches; excludeTags removes it", async () => {
    const only = await scrape({ url: `${t.site.url}/article`, includeTags: ["table"] });
    assert.match(only.body.data.markdown, /\| Alpha \| 1 \|/);
    assert.doesNotMatch(only.body.data.markdown, /known content/);
    const without = await scrape({ url: `${t.site.url}/article`, excludeTags: ["table", "pre"] });
    assert.doesNotMatch(without.body.data.markdown, /Alpha|answer = 42/);
    assert.match(without.body.data.markdown, /known content/);
  });

  it("removeBase64Images replaces inline images by default and keeps them when off", async () => {
    const on = await scrape({ url: `${t.site.url}/base64-image` });
    assert.match(on.body.data.markdown, /!\[An inline red dot\]\(<Base64-Image-Removed>\)/);
    const off = await scrape({ url: `${t.site.url}/base64-image`, removeBase64Images: false });
    assert.match(off.body.data.markdown, /data:image\/png;base64,iVBOR/);
  });
});

describe("documents that are not HTML", () => {
  it("JSON is a fenced block", async () => {
    const r = await scrape({ url: `${t.site.url}/example.json` });
    assert.equal(
      r.body.data.markdown,
      '```json\n{"name":"skiff","kind":"fixture","items":[1,2,3]}\n```',
    );
    assert.equal(r.body.data.metadata.contentType, "application/json");
  });

  it("plain text is the text", async () => {
    const r = await scrape({ url: `${t.site.url}/plain.txt` });
    assert.equal(r.body.data.markdown.trim(), "Plain text fixture.\nSecond line.");
  });

  it("a PDF becomes its text, with its page count and a credit per extra page", async () => {
    const r = await scrape({ url: `${t.site.url}/example.pdf` });
    assert.equal(r.status, 200);
    const m = r.body.data.metadata;
    assert.equal(m.numPages, 2);
    assert.equal(m.creditsUsed, 2);
    assert.match(m.contentType, /application\/pdf/);
    assert.ok(r.body.data.markdown.length > 20, r.body.data.markdown);
  });

  it("a latin-1 page is decoded", async () => {
    const r = await scrape({ url: `${t.site.url}/latin1` });
    assert.match(r.body.data.markdown, /é/);
  });
});

describe("where the page ends up", () => {
  it("follows redirects: url is final, sourceURL as sent", async () => {
    const r = await scrape({ url: `${t.site.url}/redirect` });
    assert.equal(r.body.data.metadata.url, `${t.site.url}/article`);
    assert.equal(r.body.data.metadata.sourceURL, `${t.site.url}/redirect`);
    assert.equal(r.body.data.metadata.statusCode, 200);
  });

  it("a 404 page is still a successful scrape with statusCode 404", async () => {
    const r = await scrape({ url: `${t.site.url}/missing` });
    assert.equal(r.body.success, true);
    assert.equal(r.body.data.metadata.statusCode, 404);
  });

  it("sourceURL keeps the caller's unnormalized URL", async () => {
    const bare = t.site.url.replace("http://", "") + "/article";
    const r = await scrape({ url: bare });
    assert.equal(r.body.data.metadata.sourceURL, bare);
    assert.equal(r.body.data.metadata.url, `${t.site.url}/article`);
  });

  it("a website origin gets the top-level scrape_id", async () => {
    const r = await scrape({ url: `${t.site.url}/article`, origin: "website-replay-test" });
    assert.equal(r.body.scrape_id, r.body.data.metadata.scrapeId);
  });
});
