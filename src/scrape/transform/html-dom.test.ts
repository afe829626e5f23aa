import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { documentBaseUrl, flattenDeepNesting, parseHtml } from "./html-dom.ts";

describe("flattenDeepNesting", () => {
  it("flattens subtrees below the limit, keeping their text and childless elements in order", () => {
    const $ = parseHtml(
      "<div><section><p>one <b>two</b></p><p>three<img src=x.png></p></section></div>",
    );
    flattenDeepNesting($, 2);
    assert.equal($.html(), '<div><section>one two three<img src="x.png"></section></div>');
  });

  it("leaves a shallow document untouched", () => {
    const html = "<div><p>a <em>b</em></p></div>";
    const $ = parseHtml(html);
    flattenDeepNesting($, 10);
    assert.equal($.html(), html);
  });
});

describe("documentBaseUrl", () => {
  it("resolves <base href> against the page URL, or falls back to the page URL", () => {
    const page = new URL("https://a.example/x/page");
    assert.equal(
      documentBaseUrl(parseHtml('<base href="/docs/">'), page).href,
      "https://a.example/docs/",
    );
    assert.equal(documentBaseUrl(parseHtml("<p>no base</p>"), page).href, page.href);
  });
});
