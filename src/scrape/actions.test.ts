import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { usePoolAndSite } from "../../test/fixtures/site/test-browser.ts";
import { AppError } from "../errors.ts";
import { runActions } from "./actions.ts";
import { DEFAULT_CONTEXT_SPEC } from "./context-options.ts";
import { Deadline } from "./deadline.ts";
import type { ActionOutputs } from "./page-capture.ts";
import { loadPage, type LoadRequest } from "./page-loader.ts";
import type { Action } from "./scrape-request.ts";

const t = usePoolAndSite();

/** Loads `path` and runs `actions` on it, the way a scrape does. */
async function act(path: string, actions: Action[], timeoutMs = 15_000): Promise<ActionOutputs> {
  const request: LoadRequest = {
    url: t.site.url + path,
    waitFor: 0,
    timeoutMs,
    mobile: false,
    skipTlsVerification: true,
    blockAds: true,
    actions,
  };
  const signal = AbortSignal.timeout(30_000);
  const { value } = await t.pool.run(request, (page) => loadPage(page, request, signal), {
    signal,
  });
  assert.ok(value.actions, "actions ran");
  return value.actions;
}

const js = (script: string): Action => ({ type: "executeJavascript", script });

async function jsValue(path: string, before: Action[], script: string): Promise<unknown> {
  const outputs = await act(path, [...before, js(script)]);
  return outputs.javascriptReturns.at(-1)?.value;
}

function actionFailure(index: number, type: string, reason?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.kind, "SCRAPE_ACTION_ERROR");
    assert.match(error.message, /^Action\(s\) failed to complete\. Error code: /);
    assert.ok(error.message.includes(`action ${index} (${type}`), error.message);
    if (reason) assert.match(error.message, reason);
    return true;
  };
}

describe("actions: wait", () => {
  test("milliseconds", async () => {
    const started = Date.now();
    await act("/", [{ type: "wait", milliseconds: 300 }]);
    assert.ok(Date.now() - started >= 300);
  });

  test("a selector that appears later", async () => {
    const outputs = await act("/client-rendered", [
      { type: "wait", selector: ".stats" },
      { type: "scrape" },
    ]);
    assert.match(outputs.scrapes[0]?.html ?? "", /Users: 1234/);
  });

  test("a selector that never appears fails the action", async () => {
    await assert.rejects(
      act("/", [{ type: "scrape" }, { type: "wait", selector: "#never" }], 2000),
      actionFailure(1, "wait", /#never/),
    );
  });

  test("a wait longer than the deadline is SCRAPE_TIMEOUT", async () => {
    await assert.rejects(act("/", [{ type: "wait", milliseconds: 5000 }], 800), (error) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.kind, "SCRAPE_TIMEOUT");
      return true;
    });
  });
});

describe("actions: click, write, press", () => {
  test("click reveals a hidden tab", async () => {
    const hidden = await jsValue(
      "/tabs",
      [{ type: "click", selector: ".tab[data-panel='two']", all: false }],
      "document.getElementById('two').hidden",
    );
    assert.equal(hidden, false);
  });

  test("click with all clicks every match", async () => {
    const clicks = await jsValue(
      "/tabs",
      [{ type: "click", selector: ".tab", all: true }],
      "[...document.querySelectorAll('.tab')].map((t) => t.dataset.clicks)",
    );
    assert.deepEqual(clicks, ["1", "1"]);
  });

  test("a selector still missing when the caller's deadline fires fails the action", async () => {
    // The caller's signal carries the scrape deadline and fires before the loader's own; the
    // pool must still let the action report itself.
    const controller = new AbortController();
    const click: Action[] = [{ type: "click", selector: "#nope", all: false }];
    const run = t.pool.run(
      DEFAULT_CONTEXT_SPEC,
      async (page) => {
        await page.goto(`${t.site.url}/tabs`);
        setTimeout(() => controller.abort(new DOMException("deadline", "TimeoutError")), 300);
        return runActions(page, click, new Deadline(60_000, controller.signal));
      },
      { signal: controller.signal },
    );
    await assert.rejects(run, actionFailure(0, "click", /#nope/));
  });

  test("click on a missing selector fails the action", async () => {
    await assert.rejects(
      act("/tabs", [{ type: "click", selector: "#nope", all: false }], 2000),
      actionFailure(0, "click"),
    );
  });

  test("write types at the focus and press sends a key", async () => {
    const result = await jsValue(
      "/form",
      [
        { type: "click", selector: "#text", all: false },
        { type: "write", text: "hello skiff" },
        { type: "press", key: "Enter" },
      ],
      "document.getElementById('result').textContent",
    );
    assert.equal(result, "You typed: hello skiff");
  });

  test("clicking the button submits too", async () => {
    const result = await jsValue(
      "/form",
      [
        { type: "click", selector: "#text", all: false },
        { type: "write", text: "by click" },
        { type: "click", selector: "#submit", all: false },
      ],
      "document.getElementById('result').textContent",
    );
    assert.equal(result, "You typed: by click");
  });

  test("an unknown key fails the action", async () => {
    await assert.rejects(
      act("/form", [{ type: "press", key: "NoSuchKey" }]),
      actionFailure(0, "press", /NoSuchKey/),
    );
  });
});

describe("actions: scroll", () => {
  test("down scrolls the window one viewport and triggers lazy content", async () => {
    const outputs = await act("/long", [
      { type: "scroll", direction: "down" },
      js("window.scrollY"),
      { type: "scrape" },
    ]);
    assert.equal(outputs.javascriptReturns[0]?.value, 1080);
    assert.match(outputs.scrapes[0]?.html ?? "", /Lazy section 1 loaded on scroll/);
  });

  test("up scrolls back", async () => {
    const y = await jsValue(
      "/long",
      [
        { type: "scroll", direction: "down" },
        { type: "scroll", direction: "down" },
        { type: "scroll", direction: "up" },
      ],
      "window.scrollY",
    );
    assert.equal(y, 1080);
  });

  test("a scrollable selector scrolls within it", async () => {
    const top = await jsValue(
      "/long",
      [{ type: "scroll", direction: "down", selector: "#box" }],
      "document.getElementById('box').scrollTop",
    );
    assert.ok(typeof top === "number" && top > 50, String(top));
  });

  test("any other selector is scrolled into view", async () => {
    const y = await jsValue(
      "/long",
      [{ type: "scroll", direction: "down", selector: "#content section:last-child" }],
      "window.scrollY",
    );
    assert.ok(typeof y === "number" && y > 1000, String(y));
  });
});

describe("actions: captures", () => {
  test("scrape captures the URL and the DOM at that moment", async () => {
    const outputs = await act("/tabs", [
      { type: "scrape" },
      { type: "click", selector: ".tab[data-panel='two']", all: false },
      { type: "scrape" },
    ]);
    assert.equal(outputs.scrapes.length, 2);
    assert.equal(outputs.scrapes[0]?.url, `${t.site.url}/tabs`);
    assert.match(outputs.scrapes[0]?.html ?? "", /<section id="two" class="panel" hidden="">/);
    assert.match(outputs.scrapes[1]?.html ?? "", /<section id="two" class="panel">/);
  });

  test("screenshot: PNG, JPEG with quality, full page", async () => {
    const outputs = await act("/long", [
      { type: "screenshot", fullPage: false },
      { type: "screenshot", fullPage: false, quality: 50 },
      { type: "screenshot", fullPage: true, viewport: { width: 640, height: 480 } },
    ]);
    const [png, jpeg, full] = outputs.screenshots;
    assert.deepEqual([...png!.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    assert.deepEqual([...jpeg!.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    assert.equal(full!.readUInt32BE(16), 640);
    assert.ok(full!.readUInt32BE(20) > 480);
  });

  test("pdf prints the page", async () => {
    const outputs = await act("/article", [
      { type: "pdf", landscape: false, scale: 1, format: "Letter" },
      { type: "pdf", landscape: true, scale: 0.5, format: "A4" },
    ]);
    assert.equal(outputs.pdfs.length, 2);
    for (const pdf of outputs.pdfs) assert.equal(pdf.subarray(0, 5).toString(), "%PDF-");
  });
});

describe("actions: executeJavascript", () => {
  test("an expression, a function body, a promise, undefined", async () => {
    const outputs = await act("/form", [
      js("document.title"),
      js("const n = 20; return n + 22;"),
      js("await new Promise((r) => setTimeout(r, 10)); return { ok: true, list: [1, 2] };"),
      js("document.title = 'changed'; const unused = 1;"),
      js("document.title;"),
    ]);
    assert.deepEqual(outputs.javascriptReturns, [
      { type: "string", value: "Form page" },
      { type: "number", value: 42 },
      { type: "object", value: { ok: true, list: [1, 2] } },
      { type: "undefined", value: null },
      { type: "string", value: "changed" },
    ]);
  });

  test("a script that throws fails the action", async () => {
    await assert.rejects(
      act("/form", [js("return 1"), js("throw new Error('boom')")]),
      actionFailure(1, "executeJavascript", /boom/),
    );
  });
});
