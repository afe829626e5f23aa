// `language: "python"` through the official SDK: Python 3 code with an async `page` and
// `context` that follow Playwright for Python, bridged to the session's own browser.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { interactClient } from "./helpers/interact-client.ts";
import { useSkiffAndSite } from "./helpers/skiff-harness.ts";

const t = useSkiffAndSite({ SESSION_WARM_POOL: "1" });
const { scrape, run } = interactClient(t);
const python = (id: string, code: string, timeout?: number) => run(id, "python", code, timeout);

/** Runs Python and asserts it succeeded; returns its `result`. */
async function result(id: string, code: string): Promise<string> {
  const reply = await python(id, code);
  assert.equal(reply.success, true, reply.stderr ?? reply.error);
  return reply.result ?? "";
}

describe("interact in python", () => {
  it("awaits page methods, reads properties, prints, and returns the last expression", async () => {
    const id = await scrape("/tabs");
    const reply = await python(id, `title = await page.title()\nprint("title:", title)\npage.url`);
    assert.equal(reply.success, true, reply.stderr);
    assert.equal(reply.stdout, "title: Tabs page\n");
    assert.equal(reply.result, `${t.site.url}/tabs`);
  });

  it("clicks in one call and reads in the next, through locators and handles", async () => {
    const id = await scrape("/tabs");
    await result(id, `await page.click("button[data-panel=two]")`);
    assert.equal(
      await result(id, `await page.locator("#two").inner_text()`),
      "Second panel content revealed",
    );
    assert.equal(await result(id, `await page.locator(".tab").count()`), "2");
    assert.equal(await result(id, `await page.locator(".tab").first.text_content()`), "First tab");
    assert.equal(
      await result(id, `await page.locator(".tab").nth(1).get_attribute("data-panel")`),
      "two",
    );
    assert.equal(
      await result(id, `await page.locator(".tab").all_inner_texts()`),
      JSON.stringify(["First tab", "Second tab"]),
    );
    assert.equal(
      await result(id, `await page.get_by_role("button", name="First tab").inner_text()`),
      "First tab",
    );
    assert.equal(await result(id, `await page.get_by_text("Second panel").is_visible()`), "true");
    const handles = `els = await page.query_selector_all(".tab")\n[await e.inner_text() for e in els]`;
    assert.equal(await result(id, handles), JSON.stringify(["First tab", "Second tab"]));
  });

  it("evaluates functions and expressions, fills forms, presses keys, takes screenshots", async () => {
    const id = await scrape("/form");
    assert.equal(await result(id, `await page.evaluate("() => document.title")`), "Form page");
    assert.equal(await result(id, `await page.evaluate("(x) => x * 2", 21)`), "42");
    assert.equal(await result(id, `await page.evaluate("1 + 1")`), "2");
    assert.equal(
      await result(id, `await page.eval_on_selector("h1", "(el) => el.textContent")`),
      await result(id, `await page.locator("h1").inner_text()`),
    );
    await result(
      id,
      `await page.fill("#text", "from python")\nawait page.keyboard.press("Enter")\nawait page.wait_for_timeout(100)`,
    );
    assert.match(await result(id, `await page.content()`), /You typed: from python/);
    assert.equal(await result(id, `len(await page.screenshot(full_page=True)) > 1000`), "true");
    assert.equal(await result(id, `type(await context.cookies()).__name__`), "list");
  });

  it("navigates, waits, types, uses the mouse and locator actions", async () => {
    const id = await scrape("/tabs");
    const code = `await page.goto(${JSON.stringify(`${t.site.url}/form`)}, wait_until="domcontentloaded")
await page.wait_for_load_state("load")
await page.wait_for_selector("#text", state="visible")
box = await page.get_by_placeholder("Type here").bounding_box()
await page.mouse.click(box["x"] + 5, box["y"] + 5)
await page.type("#text", "typed ")
await page.locator("#text").press("End")
await page.keyboard.type("and keys")
await page.get_by_role("button", name="Send").click()
await page.wait_for_selector("#result:not(:empty)")
texts = await page.eval_on_selector_all("main *", "(els) => els.length")
[page.url, await page.locator("#result").text_content(), texts > 3]`;
    const seen = JSON.parse(await result(id, code)) as [string, string, boolean];
    assert.deepEqual(seen, [`${t.site.url}/form`, "You typed: typed and keys", true]);
    await result(id, `await page.locator("#text").fill("again")`);
    assert.equal(await result(id, `await page.input_value("#text")`), "again");
    const labelled = `await page.set_content('<label>Email <input id="email"></label>')
await page.get_by_label("Email").fill("a@b.test")
field = await page.query_selector("#email")
await field.input_value()`;
    assert.equal(await result(id, labelled), "a@b.test");
  });

  it("is as contained as node code: no network but the proxy, nothing of the server", async () => {
    const id = await scrape("/article");
    const port = new URL(t.server.url).port;
    const code = `import urllib.request, os
outcomes = []
for url in ["http://127.0.0.1:${port}/v0/health/liveness", "http://10.0.0.1/"]:
    try:
        urllib.request.urlopen(url, timeout=3)
        outcomes.append("reached")
    except Exception as error:
        outcomes.append(type(error).__name__)
outcomes.append(os.path.exists(${JSON.stringify(t.server.dataDir)}))
outcomes`;
    const [api, privateNet, dataDir] = JSON.parse(await result(id, code)) as [
      string,
      string,
      boolean,
    ];
    assert.notEqual(api, "reached");
    assert.notEqual(privateNet, "reached");
    assert.equal(dataDir, false);
  });

  it("raises Playwright errors as Python exceptions with a traceback in stderr", async () => {
    const id = await scrape("/tabs");
    const reply = await python(id, `await page.click("#missing", timeout=500)`);
    assert.equal(reply.success, false);
    assert.equal(reply.exitCode, 1);
    assert.match(reply.stderr ?? "", /Traceback[\s\S]*TimeoutError/);
    const caught = `try:\n    await page.wait_for_selector("#nope", timeout=300)\nexcept TimeoutError:\n    result = "caught"\nresult`;
    assert.equal(await result(id, caught), "caught");
  });

  it("kills a runaway call at its timeout and keeps the page", async () => {
    const id = await scrape("/tabs");
    await result(id, `await page.click("button[data-panel=two]")`);
    const started = performance.now();
    const reply = await python(id, "while True:\n    pass", 2);
    assert.equal(reply.killed, true);
    assert.ok((performance.now() - started) / 1000 < 6);
    assert.equal(await result(id, `await page.locator("#two").is_visible()`), "true");
  });
});
