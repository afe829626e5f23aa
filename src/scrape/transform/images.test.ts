import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { documentBaseUrl, parseHtml } from "./html-dom.ts";
import { extractImages } from "./images.ts";

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/pages/${name}`, import.meta.url), "utf8");

describe("extractImages", () => {
  it("returns src, data-src, srcset and picture sources, absolute and in document order", () => {
    const $ = parseHtml(fixture("relative-links.html"));
    const images = extractImages($, documentBaseUrl($, new URL("https://www.example.org/")), {
      skipDataUris: true,
    });
    assert.deepEqual(images, [
      "https://cdn.example.org/docs/v2/img/diagram.png",
      "https://cdn.example.org/docs/v2/img/small.png",
      "https://cdn.example.org/docs/v2/img/large.png",
      "https://cdn.example.org/docs/v2/img/w400.jpg",
      "https://images.example.com/c_fill,w_800/photo.jpg",
      "https://cdn.example.org/docs/v2/img/photo.webp",
      "https://cdn.example.org/docs/v2/img/photo.jpg",
      "https://cdn.example.org/docs/v2/img/lazy.png",
    ]);
  });

  it("skips data URIs only when asked to", () => {
    const $ = parseHtml(fixture("base64-image.html"));
    const base = new URL("https://img.example/p");
    assert.deepEqual(extractImages($, base, { skipDataUris: true }), [
      "https://img.example/img/real.png",
    ]);
    const all = extractImages($, base, { skipDataUris: false });
    assert.equal(all.length, 3);
    assert.match(all[0] ?? "", /^data:image\/png;base64,iVBOR/);
  });
});
