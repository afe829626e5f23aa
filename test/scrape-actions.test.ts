// Every action type of spec §1.4 through POST /v2/scrape, with its outputs in data.actions.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { postJson, useSkiffAndSite } from "./helpers/skiff-harness.ts";

const t = useSkiffAndSite();

const scrape = (path: string, actions: unknown[], extra: Record<string, unknown> = {}) =>
  postJson(`${t.server.url}/v2/scrape`, { url: `${t.site.url}${path}`, actions, ...extra });

const download = async (url: string) => Buffer.from(await (await fetch(url)).arrayBuffer());

describe("actions", () => {
  it("click, write, press and wait fill a form", async () => {
    const r = await scrape("/form", [
      { type: "click", selector: "#text" },
      { type: "write", text: "hello skiff" },
      { type: "press", key: "Enter" },
      { type: "wait", milliseconds: 200 },
    ]);
    assert.equal(r.status, 200);
    assert.match(r.body.data.markdown, /You typed: hello skiff/);
    assert.deepEqual(r.body.data.actions, {
      screenshots: [],
      scrapes: [],
      javascriptReturns: [],
      pdfs: [],
    });
  });

  it("click reveals a tab; click with all clicks every match", async () => {
    const one = await scrape("/tabs", [{ type: "click", selector: "[data-panel=two]" }]);
    assert.match(one.body.data.markdown, /Second panel content revealed/);
    const every = await scrape("/tabs", [
      { type: "click", selector: ".tab", all: true },
      {
        type: "executeJavascript",
        script:
          "return [...document.querySelectorAll('.tab')].map((t) => t.dataset.clicks).join(',')",
      },
    ]);
    assert.deepEqual(every.body.data.actions.javascriptReturns, [{ type: "string", value: "1,1" }]);
  });

  it("wait for a selector sees client-rendered content", async () => {
    const r = await scrape("/client-rendered", [{ type: "wait", selector: "ul.stats" }]);
    assert.match(r.body.data.markdown, /Orders: 5678/);
  });

  it("scroll down loads the lazy part of a long page", async () => {
    const r = await scrape(
      "/long",
      [
        { type: "scroll", direction: "down" },
        { type: "wait", selector: ".lazy" },
      ],
      { onlyMainContent: false },
    );
    assert.match(r.body.data.markdown, /Lazy section 10 loaded on scroll/);
  });

  it("scrape captures the page at that moment", async () => {
    const r = await scrape("/tabs", [
      { type: "scrape" },
      { type: "click", selector: "[data-panel=two]" },
      { type: "scrape" },
    ]);
    const [before, afterClick] = r.body.data.actions.scrapes;
    assert.equal(before.url, `${t.site.url}/tabs`);
    assert.match(before.html, /<section id="two" class="panel" hidden="">/);
    assert.match(afterClick.html, /<section id="two" class="panel">/);
  });

  it("executeJavascript returns typed values in order", async () => {
    const r = await scrape("/tabs", [
      { type: "executeJavascript", script: "return document.title" },
      { type: "executeJavascript", script: "return 6 * 7" },
      { type: "executeJavascript", script: "return { a: [1, 2] }" },
    ]);
    assert.deepEqual(r.body.data.actions.javascriptReturns, [
      { type: "string", value: "Tabs page" },
      { type: "number", value: 42 },
      { type: "object", value: { a: [1, 2] } },
    ]);
  });

  it("screenshot and pdf actions give URLs Skiff serves", async () => {
    const r = await scrape("/article", [
      { type: "screenshot" },
      { type: "screenshot", fullPage: true, quality: 60 },
      { type: "pdf", format: "A4", landscape: true },
    ]);
    const { screenshots, pdfs } = r.body.data.actions;
    assert.equal(screenshots.length, 2);
    assert.equal((await download(screenshots[0])).subarray(1, 4).toString(), "PNG");
    assert.deepEqual([...(await download(screenshots[1])).subarray(0, 2)], [0xff, 0xd8]);
    assert.equal(pdfs.length, 1);
    assert.equal((await download(pdfs[0])).subarray(0, 5).toString(), "%PDF-");
  });

  it("an empty action list is fine", async () => {
    const r = await scrape("/article", []);
    assert.equal(r.status, 200);
    assert.equal(r.body.success, true);
  });

  it("an action that cannot complete is 500 SCRAPE_ACTION_ERROR", async () => {
    const r = await scrape("/article", [{ type: "click", selector: "#does-not-exist" }], {
      timeout: 4000,
    });
    assert.equal(r.status, 500);
    assert.equal(r.body.code, "SCRAPE_ACTION_ERROR");
    assert.match(r.body.error, /^Action\(s\) failed to complete\./);
  });

  it("more than 50 actions is a 400 with the spec's message", async () => {
    const actions = Array.from({ length: 51 }, () => ({ type: "scrape" }));
    const r = await scrape("/article", actions);
    assert.equal(r.status, 400);
    assert.equal(r.body.error, "Number of actions cannot exceed 50");
  });
});
