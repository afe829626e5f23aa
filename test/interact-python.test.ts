// `language: "python"`: Playwright for Python's async API, the real library, in the session's
// bubblewrap sandbox, against the local test site.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { interactClient } from "./helpers/interact-client.ts";
import { useSkiffAndSite } from "./helpers/skiff-harness.ts";

// The server runs in this process: a variable set here is in its environment.
const CANARY = "SKIFF_TEST_CANARY";
process.env[CANARY] = "the-server-environment";
const t = useSkiffAndSite({ SANDBOX: "bwrap", SESSION_WARM_POOL: "1" });
const { scrape, run } = interactClient(t);
const python = (id: string, code: string, timeout?: number) => run(id, "python", code, timeout);

/** Runs Python and asserts it succeeded; returns its `result`. */
async function result(id: string, code: string): Promise<string> {
  const reply = await python(id, code);
  assert.equal(reply.success, true, reply.stderr ?? reply.error);
  return reply.result ?? "";
}

describe("interact in python (Playwright for Python)", () => {
  it("prints to stdout and stderr, and returns the last expression: str as is, None empty, else JSON", async () => {
    const id = await scrape("/tabs");
    const reply = await python(
      id,
      'import sys\nprint("title:", await page.title())\nprint("warn", file=sys.stderr)\npage.url',
    );
    assert.deepEqual(
      [reply.stdout, reply.stderr, reply.result],
      ["title: Tabs page\n", "warn\n", `${t.site.url}/tabs`],
    );
    assert.equal(await result(id, "None"), "");
    assert.equal(await result(id, '{"a": [1, "é"], "b": None}'), '{"a":[1,"é"],"b":null}');
    assert.equal(await result(id, "x = 1"), "", "an assignment is no result");
  });

  it("drives the page with locators, get_by_role, expect, the keyboard and the mouse", async () => {
    const id = await scrape("/form");
    const code = `from playwright.async_api import expect
await page.get_by_placeholder("Type here").click()
await page.keyboard.type("typed ")
box = await page.locator("#text").bounding_box()
await page.mouse.click(box["x"] + box["width"] - 2, box["y"] + 5)
await page.keyboard.press("End")
await page.keyboard.type("keys")
await page.get_by_role("button", name="Send").click()
await expect(page.locator("#result")).to_have_text("You typed: typed keys")
await page.locator("#result").inner_text()`;
    assert.equal(await result(id, code), "You typed: typed keys");
    const failing = await python(
      id,
      'from playwright.async_api import expect\nawait expect(page.locator("#result")).to_have_text("nope", timeout=500)',
    );
    assert.equal(failing.exitCode, 1);
    assert.match(failing.stderr ?? "", /Traceback[\s\S]*AssertionError/);
  });

  it("evaluates, reads frames, waits for network idle and selectors, and routes requests", async () => {
    const id = await scrape("/article");
    assert.equal(await result(id, 'await page.evaluate("(x) => x * 2", 21)'), "42");
    assert.equal(await result(id, 'await page.evaluate("document.title")'), "Skiff Test Article");
    const frame = `await page.set_content('<iframe id="f" src="${t.site.url}/tabs"></iframe>')
await page.wait_for_selector("#f")
inner = page.frame_locator("#f")
await inner.locator("h1").wait_for()
[len(page.frames), await inner.locator("button.tab").first.inner_text()]`;
    assert.equal(await result(id, frame), '[2,"First tab"]');
    const idle = `await page.goto("${t.site.url}/many?n=20")
await page.wait_for_load_state("networkidle")
await page.evaluate("performance.getEntriesByType('resource').length")`;
    assert.ok(Number(await result(id, idle)) >= 20);
    const routed = `await page.route("**/example.json", lambda route: route.fulfill(body='{"routed":true}', content_type="application/json"))
await page.evaluate("() => fetch('/example.json').then((r) => r.text())")`;
    assert.equal(await result(id, routed), '{"routed":true}');
  });

  it("returns screenshot bytes, and saves a download to the session's /tmp", async () => {
    const id = await scrape("/article");
    const shot = await result(
      id,
      "import base64\nbase64.b64encode(await page.screenshot(full_page=True)).decode()",
    );
    assert.deepEqual([...Buffer.from(shot, "base64").subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const download = `await page.set_content('<a id="d" href="${t.site.url}/download">get</a>')
async with page.expect_download() as info:
    await page.click("#d")
download = await info.value
await download.save_as("/tmp/report.pdf")
download.suggested_filename`;
    assert.equal(await result(id, download), "example.pdf");
    const saved = await run(id, "bash", "head -c 5 /tmp/report.pdf");
    assert.equal(saved.stdout, "%PDF-");
  });

  it("shares the content tab with node calls, both ways", async () => {
    const id = await scrape("/tabs");
    await result(id, 'await page.click("button[data-panel=two]")');
    const node = await run(id, "node", 'await page.locator("#two").isVisible()');
    assert.equal(node.result, "true");
    await run(id, "node", 'await page.click("button[data-panel=one]")');
    assert.equal(await result(id, 'await page.locator("#two").is_visible()'), "false");
  });

  it("gives a traceback for an exception, catches Playwright's TimeoutError, and says SyntaxError", async () => {
    const id = await scrape("/tabs");
    const raised = await python(id, 'x = 1\nraise ValueError("no good")');
    assert.deepEqual([raised.success, raised.exitCode], [false, 1]);
    assert.match(raised.stderr ?? "", /Traceback[\s\S]*line 2[\s\S]*ValueError: no good/);
    assert.doesNotMatch(raised.stderr ?? "", /skiff_runner/, "the runner's frames are left out");
    const caught = `from playwright.async_api import TimeoutError as PlaywrightTimeoutError
try:
    await page.wait_for_selector("#nope", timeout=300)
except PlaywrightTimeoutError:
    outcome = "caught"
outcome`;
    assert.equal(await result(id, caught), "caught");
    const syntax = await python(id, "def broken(:\n    pass");
    assert.deepEqual([syntax.success, syntax.exitCode], [false, 1]);
    assert.match(syntax.stderr ?? "", /SyntaxError/);
    assert.equal(await result(id, "await page.title()"), "Tabs page", "the session goes on");
  });

  it("keeps one interpreter warm; a runaway call is killed at its timeout and the page lives on", async () => {
    const id = await scrape("/tabs");
    const pid = await result(id, "import os\nos.getpid()");
    await result(id, 'await page.click("button[data-panel=two]")');
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      assert.equal(await result(id, "await page.title()"), "Tabs page");
      times.push(performance.now() - started);
    }
    assert.equal(await result(id, "import os\nos.getpid()"), pid, "the same process");
    assert.ok(Math.min(...times) < 500, `a warm call took ${Math.min(...times)} ms`);
    const started = performance.now();
    const runaway = await python(id, "while True:\n    pass", 2);
    assert.deepEqual([runaway.killed, runaway.exitCode], [true, 137]);
    assert.ok(performance.now() - started < 8_000);
    assert.equal(await result(id, 'await page.locator("#two").is_visible()'), "true");
    assert.notEqual(await result(id, "import os\nos.getpid()"), pid, "a new interpreter");
  });

  it("runs in the sandbox: no DATA_DIR, no server environment, no API port (with controls)", async () => {
    const id = await scrape("/article");
    const apiPort = new URL(t.server.url).port;
    const code = `import os, urllib.request
def reach(url):
    try:
        urllib.request.urlopen(url, timeout=3)
        return "reached"
    except Exception as error:
        return type(error).__name__
response = await page.goto("${t.site.url}/tabs")
[
    os.path.exists(${JSON.stringify(t.server.dataDir)}),
    os.path.exists("/usr/bin"),
    "${CANARY}" in os.environ,
    os.environ.get("HOME"),
    reach("http://127.0.0.1:${apiPort}/v0/health/liveness"),
    response.status,
]`;
    const [dataDir, usr, canary, home, api, site] = JSON.parse(await result(id, code)) as unknown[];
    assert.equal(dataDir, false, "DATA_DIR is not there");
    assert.equal(usr, true, "the system is");
    assert.equal(canary, false, "the server's environment is not there");
    assert.equal(home, "/tmp", "its own environment is");
    assert.notEqual(api, "reached", "the API port is not reachable");
    assert.equal(site, 200, "the site is, through the egress proxy");
  });
});
