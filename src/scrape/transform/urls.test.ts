import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { largestSrcsetUrl, parseSrcset, resolveUrl } from "./urls.ts";

describe("parseSrcset", () => {
  it("splits candidates and keeps commas inside URLs", () => {
    assert.deepEqual(parseSrcset(" a.png 1x,https://cdn.example/c_fill,w_800/b.jpg 2x , c.png"), [
      { url: "a.png", descriptor: "1x" },
      { url: "https://cdn.example/c_fill,w_800/b.jpg", descriptor: "2x" },
      { url: "c.png", descriptor: "" },
    ]);
  });

  it("treats trailing commas as separators", () => {
    assert.deepEqual(parseSrcset("a.png,, b.png 100w"), [
      { url: "a.png", descriptor: "" },
      { url: "b.png", descriptor: "100w" },
    ]);
  });
});

describe("largestSrcsetUrl", () => {
  it("prefers the widest w candidate", () => {
    assert.equal(largestSrcsetUrl("s.png 300w, l.png 1200w, m.png 800w", "src.png"), "l.png");
  });

  it("compares densities with src as 1x", () => {
    assert.equal(largestSrcsetUrl("a.png 2x, b.png 3x", "src.png"), "b.png");
    assert.equal(largestSrcsetUrl("a.png 0.5x", "src.png"), "src.png");
  });
});

describe("resolveUrl", () => {
  it("resolves, trims, and rejects empty or unparseable values", () => {
    const base = new URL("https://a.example/x/y/");
    assert.equal(resolveUrl(" ../z ", base), "https://a.example/x/z");
    assert.equal(resolveUrl("", base), undefined);
    assert.equal(resolveUrl(undefined, base), undefined);
    assert.equal(resolveUrl("http://[bad", base), undefined);
  });
});
