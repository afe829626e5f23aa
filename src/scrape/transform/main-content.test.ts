import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseHtml } from "./html-dom.ts";
import { removePageChrome } from "./main-content.ts";

function bodyTextAfterCleaning(body: string): string {
  const $ = parseHtml(`<html><body>${body}</body></html>`);
  removePageChrome($);
  return $("body").text().replace(/\s+/g, " ").trim();
}

describe("removePageChrome", () => {
  it("removes page-level header, footer, nav and aside", () => {
    const text = bodyTextAfterCleaning(
      "<header>Site</header><nav>Menu</nav><main><p>Body</p></main><aside>Ads</aside><footer>Legal</footer>",
    );
    assert.equal(text, "Body");
  });

  it("keeps the header and footer of an article, of main, and of role=main", () => {
    const text = bodyTextAfterCleaning(
      "<article><header>A-head</header> <p>A</p> <footer>A-foot</footer></article> " +
        "<main><header>M-head</header></main> <div role=main><footer>R-foot</footer></div>",
    );
    assert.equal(text, "A-head A A-foot M-head R-foot");
  });

  it("removes chrome classes and ids even inside the article", () => {
    const text = bodyTextAfterCleaning(
      '<article><p>Keep</p><div class="share buttons">Share</div><div id="breadcrumbs">Crumbs</div>' +
        '<div class="Social-Links">Follow</div><div class="ad">Buy</div><ul class="menu">M</ul></article>',
    );
    assert.equal(text, "Keep");
  });

  it("removes a site header by class even inside a content container", () => {
    const text = bodyTextAfterCleaning(
      '<div id="content"><header class="site-header">Logo</header><p>Text</p></div>',
    );
    assert.equal(text, "Text");
  });

  it("removes landmark roles, dialogs, cookie banners and modals", () => {
    const text = bodyTextAfterCleaning(
      '<div role="navigation">Nav</div><div role="banner">Banner</div><dialog>Dialog</dialog>' +
        '<div id="cookie">Cookies</div><div class="modal">Modal</div><div class="popup">Popup</div><p>Body</p>',
    );
    assert.equal(text, "Body");
  });

  it("never removes an element that contains the main content", () => {
    const text = bodyTextAfterCleaning(
      '<div class="sidebar">Side <div id="main">Main text</div></div> ' +
        '<header><article>Article in a header</article></header><div class="widget">W</div>',
    );
    assert.equal(text, "Side Main text Article in a header");
  });

  it("keeps content containers that carry a chrome class themselves", () => {
    assert.equal(bodyTextAfterCleaning('<article class="side">Story</article>'), "Story");
  });

  it("does not remove html or body, whatever their classes", () => {
    const $ = parseHtml(
      '<html class="menu"><body class="modal-open sidebar"><p>Text</p></body></html>',
    );
    removePageChrome($);
    assert.equal($("body p").text(), "Text");
  });

  it("keeps the header and footer of elements it is told to treat as main content", () => {
    const $ = parseHtml(
      "<html><body><div class=post><header>Post head</header><p>Post</p></div></body></html>",
    );
    removePageChrome($, new Set($(".post").toArray()));
    assert.equal($("body").text(), "Post headPost");
  });
});
