import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { PageCapture } from "../page-capture.ts";
import { transformCapture, type TransformOptions } from "./transform-capture.ts";

const ARTICLE_URL = "https://news.example.com/science/tides";
const article = readFileSync(
  new URL("../../../test/fixtures/pages/article.html", import.meta.url),
  "utf8",
);

function htmlCapture(html: string, url = ARTICLE_URL): PageCapture {
  return { url, statusCode: 200, contentType: "text/html; charset=utf-8", html };
}

function options(overrides: Partial<TransformOptions> = {}): TransformOptions {
  return {
    wants: { markdown: true, html: true, rawHtml: false, links: false, images: false },
    onlyMainContent: true,
    removeBase64Images: true,
    parsePdf: true,
    ...overrides,
  };
}

async function markdownOf(overrides: Partial<TransformOptions> = {}): Promise<string> {
  const { markdown } = await transformCapture(htmlCapture(article), options(overrides));
  assert.ok(markdown !== undefined);
  return markdown;
}

describe("transformCapture on an article page", () => {
  it("keeps the article, its own header and footer, and drops the page chrome", async () => {
    const markdown = await markdownOf();
    assert.match(markdown, /^# How Tides Work\n\nBy Ada Marsh, 3 May 2024\n/);
    assert.match(
      markdown,
      /\[gravitational pull\]\(https:\/\/news\.example\.com\/glossary\/gravity\)/,
    );
    assert.match(markdown, /Filed under oceanography\.$/);
    for (const chrome of [
      "cookies",
      "Trending",
      "[News]",
      "Share this",
      "Subscribe",
      "© 2024",
      "Home",
    ]) {
      assert.ok(!markdown.includes(chrome), `"${chrome}" should be removed`);
    }
  });

  it("keeps the chrome without onlyMainContent, but never scripts, styles or templates", async () => {
    const markdown = await markdownOf({ onlyMainContent: false });
    for (const chrome of [
      "We use cookies",
      "### Trending",
      "[News](https://news.example.com/news)",
      "© 2024",
    ]) {
      assert.ok(markdown.includes(chrome), `"${chrome}" should be kept`);
    }
    for (const code of [
      "analytics",
      "font-family",
      "Template text",
      "How Tides Work | Ocean Weekly",
    ]) {
      assert.ok(!markdown.includes(code), `"${code}" should not reach the markdown`);
    }
  });

  it("cleans the html output and makes its URLs absolute", async () => {
    const { html } = await transformCapture(
      htmlCapture(article),
      options({ onlyMainContent: false }),
    );
    assert.ok(html !== undefined);
    assert.match(html, /^<html lang="en">/);
    for (const dropped of [
      "<head>",
      "<script",
      "<style",
      "<meta",
      "<link",
      "<noscript",
      "<template",
      "<!--",
    ]) {
      assert.ok(!html.includes(dropped), `${dropped} should be dropped`);
    }
    assert.ok(
      html.includes('<a href="https://news.example.com/trending/1">Whale songs decoded</a>'),
    );
    assert.ok(!html.includes('href="/'));
  });

  it("produces only the requested outputs, and the metadata", async () => {
    const wants = { markdown: false, html: false, rawHtml: true, links: false, images: false };
    const result = await transformCapture(htmlCapture(article), options({ wants }));
    assert.deepEqual(Object.keys(result).sort(), ["metadata", "rawHtml"]);
    assert.equal(result.rawHtml, article);
    assert.equal(result.metadata.title, "How Tides Work | Ocean Weekly");
  });

  it("takes links and images from the whole page, not only the main content", async () => {
    const wants = { markdown: false, html: false, rawHtml: false, links: true, images: true };
    const result = await transformCapture(htmlCapture(article), options({ wants }));
    assert.ok(result.links?.includes("https://news.example.com/trending/1"));
    assert.ok(result.links?.includes("https://news.example.com/privacy"));
    assert.deepEqual(result.images, ["https://news.example.com/pixel.gif"]);
  });
});

describe("transformCapture with includeTags and excludeTags", () => {
  it("keeps only matching elements, in document order, whatever the selector order", async () => {
    const markdown = await markdownOf({ includeTags: ["h2", " h1 ", ""] });
    assert.equal(markdown, "# How Tides Work\n\n## Spring and neap tides");
  });

  it("keeps nested matches once, and ignores an invalid selector", async () => {
    const markdown = await markdownOf({ includeTags: ["article header", "h1", "[[["] });
    assert.equal(markdown, "# How Tides Work\n\nBy Ada Marsh, 3 May 2024");
  });

  it("wraps the kept elements in a div in the html output", async () => {
    const { html } = await transformCapture(
      htmlCapture(article),
      options({ includeTags: [".byline"] }),
    );
    const expected =
      '<html lang="en"><body><div><p class="byline">By Ada Marsh, 3 May 2024</p></div></body></html>';
    assert.equal(html?.replace(/>\s+</g, "><").trim(), expected);
  });

  it("removes elements matching excludeTags", async () => {
    const markdown = await markdownOf({ excludeTags: [".byline", "h2", "a"] });
    assert.ok(!markdown.includes("Ada Marsh"));
    assert.ok(!markdown.includes("Spring and neap"));
    assert.ok(!markdown.includes("gravitational pull"));
    assert.match(markdown, /^# How Tides Work\n\nTides are the rise/);
  });

  it("applies excludeTags to the included elements", async () => {
    const markdown = await markdownOf({ includeTags: ["article"], excludeTags: ["p"] });
    assert.equal(markdown, "# How Tides Work\n\n## Spring and neap tides");
  });
});

describe("transformCapture on other inputs", () => {
  it("turns an HTML body without a rendered DOM into HTML outputs", async () => {
    const capture: PageCapture = {
      url: "https://example.com/a/",
      statusCode: 200,
      contentType: "text/html; charset=iso-8859-1",
      body: Buffer.from('<html><body><p>Caf\xe9 <a href="b">b</a></p></body></html>', "latin1"),
    };
    const result = await transformCapture(capture, options());
    assert.equal(result.markdown, "Café [b](https://example.com/a/b)");
  });

  it("routes a JSON body to the document transform", async () => {
    const capture: PageCapture = {
      url: "https://api.example.com/v1/items",
      statusCode: 200,
      contentType: "application/json",
      body: Buffer.from('{"items":[1,2]}'),
    };
    const result = await transformCapture(capture, options());
    assert.equal(result.markdown, '```json\n{"items":[1,2]}\n```');
    assert.equal(result.html, undefined);
  });

  it("survives a deeply nested DOM", async () => {
    const depth = 20_000;
    const html = `<html><body>${"<div>".repeat(depth)}<p>deep text</p>${"</div>".repeat(depth)}</body></html>`;
    const result = await transformCapture(htmlCapture(html), options());
    assert.match(result.markdown ?? "", /deep text/);
  });

  it("converts a 1 MB page completely", async () => {
    const section = (i: number): string =>
      `<section><h2>Part ${i}</h2><p>${"Text with a <a href='/l'>link</a>. ".repeat(40)}</p></section>`;
    const sections = Array.from({ length: 700 }, (_, i) => section(i)).join("");
    const html = `<html><body><nav>menu</nav><main>${sections}</main></body></html>`;
    assert.ok(html.length > 1_000_000);
    const result = await transformCapture(htmlCapture(html), options());
    assert.equal(result.markdown?.match(/^## Part \d+$/gm)?.length, 700);
    assert.match(result.markdown ?? "", /## Part 699\n/);
    assert.ok(!result.markdown?.includes("menu"));
  });
});
