// `language: "python"` through the official SDK: Playwright for Python's async API, the real
// library, in a warm interpreter inside the session's bubblewrap sandbox, on the local test site.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { TRUNCATION_MARKER } from "../src/runtimes/output-buffer.ts";
import { interactClient } from "./helpers/interact-client.ts";
import { useSkiffAndSite } from "./helpers/skiff-harness.ts";

const skip = existsSync("/usr/bin/bwrap") ? false : "bubblewrap (/usr/bin/bwrap) is not installed";

/** Set before the server starts; the server runs in this process, so its environment has it. */
const CANARY_NAME = "SKIFF_PYTHON_CANARY";
const CANARY = `canary-${randomUUID()}`;
process.env[CANARY_NAME] = CANARY;

const PROJECT_ROOT = path.resolve(import.meta.dirname, "..");
const EXAMPLE_PDF = path.join(import.meta.dirname, "fixtures/site/static/example.pdf");

const t = useSkiffAndSite({ SANDBOX: "bwrap", SESSION_WARM_POOL: "1" });
const { scrape, run } = interactClient(t);
const python = (id: string, code: string, timeout?: number) => run(id, "python", code, timeout);

/** Runs Python and asserts it succeeded; returns its `result`. */
async function result(id: string, code: string): Promise<string> {
  const reply = await python(id, code);
  assert.equal(reply.success, true, `${code}\n${reply.stderr ?? reply.error ?? ""}`);
  return reply.result ?? "";
}

/** Runs `work` and returns what it gave and how many milliseconds it took. */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

const PID = "import os\nos.getpid()";

describe("interact in python (Playwright for Python)", { skip }, () => {
  /** One session for the tests that start with a page of their own and leave nothing behind. */
  let shared: string;
  const site = (pathname: string) => `${t.site.url}${pathname}`;

  before(async () => {
    shared = await scrape("/tabs");
  });

  after(() => {
    delete process.env[CANARY_NAME];
  });

  it("prints to stdout and stderr, and returns the last expression: str as is, None empty, else JSON", async () => {
    const reply = await python(
      shared,
      `import sys
await page.goto("${site("/tabs")}")
print("title:", await page.title())
print("warn", file=sys.stderr)
page.url`,
    );
    assert.deepEqual(
      [reply.success, reply.stdout, reply.stderr, reply.result],
      [true, "title: Tabs page\n", "warn\n", site("/tabs")],
    );
    assert.equal(await result(shared, "None"), "");
    assert.equal(await result(shared, '{"a": [1, "é"], "b": None}'), '{"a":[1,"é"],"b":null}');
    assert.equal(await result(shared, "(1, 2.5, True)"), "[1,2.5,true]");
    assert.equal(await result(shared, "x = 1"), "", "an assignment is no result");
  });

  it("caps stdout and the result at 1 MB each", async () => {
    const reply = await python(shared, 'print("x" * 1_500_000, end="")\n"y" * 1_500_000');
    assert.equal(reply.success, true, reply.stderr);
    assert.equal(reply.stdout, "x".repeat(1_000_000) + TRUNCATION_MARKER);
    assert.equal(reply.result, "y".repeat(1_000_000) + TRUNCATION_MARKER);
  });

  it("finds elements by locator and get_by_role, and expect asserts (failing with AssertionError)", async () => {
    const code = `from playwright.async_api import expect
await page.goto("${site("/form")}")
await page.locator("#text").fill("by locator")
await page.get_by_role("button", name="Send").click()
await expect(page.locator("#result")).to_have_text("You typed: by locator")
await page.locator("#result").inner_text()`;
    assert.equal(await result(shared, code), "You typed: by locator");
    const failing = await python(
      shared,
      'from playwright.async_api import expect\nawait expect(page.locator("#result")).to_have_text("nope", timeout=500)',
    );
    assert.deepEqual([failing.success, failing.exitCode], [false, 1]);
    assert.match(failing.stderr ?? "", /^Traceback/);
    assert.match(failing.stderr ?? "", /line 2, in <module>\n\s+await expect\(/);
    assert.match(failing.stderr ?? "", /AssertionError: Locator expected to have text 'nope'/);
  });

  it("types with the keyboard into a field the mouse focused", async () => {
    // Nothing is focused after a load: unless the mouse's click lands, the keys go nowhere.
    const code = `await page.goto("${site("/form")}")
box = await page.locator("#text").bounding_box()
await page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
await page.keyboard.type("typed keyz")
await page.keyboard.press("Backspace")
await page.keyboard.type("s")
await page.keyboard.press("Enter")
await page.locator("#result").inner_text()`;
    assert.equal(await result(shared, code), "You typed: typed keys");
  });

  it("reads and drives an iframe through frame_locator and page.frames", async () => {
    const code = `await page.goto("${site("/frames")}")
inner = page.frame_locator("#inner")
await inner.get_by_role("button", name="Second tab").click()
frame = next(f for f in page.frames if f != page.main_frame)
html = await frame.content()
{
    "frames": len(page.frames),
    "url": frame.url,
    "title": "<title>Tabs page</title>" in html,
    "visible": await frame.locator("#two").is_visible(),
    "text": await inner.locator("#two").inner_text(),
    "in_main_page": await page.locator("#two").count(),
}`;
    assert.deepEqual(JSON.parse(await result(shared, code)), {
      frames: 2,
      url: site("/tabs"),
      title: true,
      visible: true,
      text: "Second panel content revealed",
      in_main_page: 0,
    });
  });

  it("evaluates a function with an argument, and an expression", async () => {
    await result(shared, `await page.goto("${site("/article")}")`);
    assert.equal(await result(shared, 'await page.evaluate("(x) => x * 2", 21)'), "42");
    assert.equal(
      await result(shared, 'await page.evaluate("([a, b]) => a + b", ["sk", "iff"])'),
      "skiff",
    );
    assert.equal(
      await result(shared, 'await page.evaluate("document.title")'),
      "Skiff Test Article",
    );
  });

  it("waits for network idle after a fetch that outlives the load, and for a late selector", async () => {
    const idle = `await page.goto("${site("/late-fetch?ms=1500")}")
loaded = await page.locator("#status").inner_text()
await page.wait_for_load_state("networkidle")
[loaded, await page.locator("#status").inner_text()]`;
    assert.equal(await result(shared, idle), '["waiting","fetched 200"]');
    const selector = `await page.goto("${site("/client-rendered?delay=800")}")
loaded = await page.query_selector("h1")
heading = await page.wait_for_selector("h1")
[loaded is None, await heading.inner_text()]`;
    assert.equal(await result(shared, selector), '[true,"Hydrated content"]');
  });

  it("routes a request to a fulfilled body, and to the site again once unrouted", async () => {
    const fetches = () => t.site.requests.filter((r) => r.path === "/example.json").length;
    await result(shared, `await page.goto("${site("/article")}")`);
    const before = fetches();
    const code = `fetch_text = "() => fetch('/example.json').then((r) => r.text())"
await page.route("**/example.json", lambda route: route.fulfill(body='{"routed":true}'))
routed = await page.evaluate(fetch_text)
await page.unroute("**/example.json")
[routed, await page.evaluate(fetch_text)]`;
    const [routed, real] = JSON.parse(await result(shared, code)) as string[];
    assert.equal(routed, '{"routed":true}');
    assert.equal(
      real,
      readFileSync(path.join(import.meta.dirname, "fixtures/site/static/example.json"), "utf8"),
    );
    assert.equal(fetches() - before, 1, "only the unrouted fetch reached the site");
  });

  it("takes a screenshot: PNG bytes, returned as base64", async () => {
    await result(shared, `await page.goto("${site("/article")}")`);
    const code = `import base64
shot = await page.screenshot()
[shot[:8].hex(), base64.b64encode(shot).decode(), await page.evaluate("innerWidth * devicePixelRatio")]`;
    const [head, base64, width] = JSON.parse(await result(shared, code)) as [
      string,
      string,
      number,
    ];
    assert.equal(head, "89504e470d0a1a0a", "the PNG signature");
    const png = Buffer.from(base64, "base64");
    assert.equal(png.subarray(0, 8).toString("hex"), head, "the base64 is of the same bytes");
    assert.equal(png.readUInt32BE(16), width, "as wide as the page (IHDR)");
  });

  it("saves a download to the session's /tmp, where a later bash call finds it", async () => {
    const code = `await page.goto("${site("/downloads")}")
async with page.expect_download() as info:
    await page.click("#report")
download = await info.value
await download.save_as("/tmp/report.pdf")
download.suggested_filename`;
    assert.equal(await result(shared, code), "example.pdf");
    const saved = await run(shared, "bash", "sha256sum /tmp/report.pdf");
    const expected = createHash("sha256").update(readFileSync(EXAMPLE_PDF)).digest("hex");
    assert.equal(saved.stdout, `${expected}  /tmp/report.pdf\n`);
  });

  it("shares the content tab with node calls, both ways", async () => {
    await result(
      shared,
      `await page.goto("${site("/tabs")}")\nawait page.click("button[data-panel=two]")`,
    );
    const node = await run(shared, "node", 'await page.locator("#two").isVisible()');
    assert.equal(node.result, "true", "node sees python's click");
    await run(shared, "node", 'await page.click("button[data-panel=one]")');
    const seen = 'await page.locator("#two").is_visible()';
    assert.equal(await result(shared, seen), "false", "python sees node's click");
  });

  it("reports an exception as a traceback of the user's lines, and user code catches TimeoutError", async () => {
    const raised = await python(
      shared,
      'def check(value):\n    raise ValueError(f"no good: {value}")\nprint("before")\ncheck(1)',
    );
    assert.deepEqual([raised.success, raised.exitCode, raised.stdout], [false, 1, "before\n"]);
    const stderr = raised.stderr ?? "";
    assert.match(stderr, /^Traceback \(most recent call last\):\n/);
    assert.match(stderr, /line 4, in <module>\n\s+check\(1\)\n/);
    assert.match(stderr, /line 2, in check\n\s+raise ValueError\(f"no good: \{value\}"\)\n/);
    assert.match(stderr, /\nValueError: no good: 1\n$/);
    assert.doesNotMatch(stderr, /skiff_runner/, "the runner's own frames are left out");
    const caught = `from playwright.async_api import TimeoutError as PlaywrightTimeoutError
try:
    await page.wait_for_selector("#nope", timeout=300)
    outcome = "not raised"
except PlaywrightTimeoutError as error:
    outcome = str(error).splitlines()[0]
outcome`;
    assert.equal(await result(shared, caught), "Page.wait_for_selector: Timeout 300ms exceeded.");
  });

  it("reports a SyntaxError from the same interpreter, and the session goes on", async () => {
    const pid = await result(shared, PID);
    const syntax = await python(shared, "x = 1\ndef broken(:\n    pass");
    assert.deepEqual([syntax.success, syntax.exitCode], [false, 1]);
    assert.match(syntax.stderr ?? "", /line 2\n\s+def broken\(:\n[\s^]*\nSyntaxError: /);
    assert.equal(await result(shared, PID), pid, "compiling failed, the interpreter did not");
    assert.equal(await result(shared, "await page.title()"), "Tabs page");
  });

  it("survives what user code can do to its own runner: a closed browser, a huge write, noise on fd 3", async () => {
    const id = await scrape("/tabs");
    assert.equal(await result(id, 'await browser.close()\n"closed"'), "closed");
    assert.equal(await result(id, "await page.title()"), "Tabs page", "the next call reconnects");
    const huge = await python(
      id,
      'import sys\nsys.stdout.write("x" * 50_000_000)\n"x" * 50_000_000',
    );
    assert.equal(huge.success, true, huge.stderr);
    assert.ok((huge.stdout ?? "").length < 1_100_000 && (huge.result ?? "").length < 1_100_000);
    const noise = await python(id, 'import os\nos.write(3, b"not json\\n")\n"after"');
    assert.equal(noise.result, "after");
    assert.equal(await result(id, 'float("nan")'), "nan", "not JSON, so its repr");
    const surrogate = await python(id, 'print("\\ud800")\n"printed"');
    assert.equal(surrogate.result, "printed", "a lone surrogate is printed, not a crash");
  });

  it("kills a runaway call at its timeout; the page keeps its state, a new interpreter takes over", async () => {
    await result(
      shared,
      `await page.goto("${site("/tabs")}")\nawait page.click("button[data-panel=two]")`,
    );
    const pid = await result(shared, PID);
    const runaway = await timed(() =>
      python(shared, 'print("started", flush=True)\nwhile True:\n    pass', 2),
    );
    const seconds = runaway.ms / 1000;
    assert.deepEqual(
      [runaway.value.success, runaway.value.killed, runaway.value.exitCode, runaway.value.stdout],
      [false, true, 137, "started\n"],
    );
    assert.ok(seconds >= 2 && seconds < 6, `killed after ${seconds.toFixed(1)} s`);
    const visible = 'await page.locator("#two").is_visible()';
    assert.equal(await result(shared, visible), "true", "the click before the kill holds");
    const next = await result(shared, PID);
    assert.notEqual(next, pid, "a new interpreter");
    assert.equal(await result(shared, PID), next, "which stays");
  });

  it("kills a call stuck in the page's own JavaScript; the next call gets a new blank tab", async () => {
    const id = await scrape("/tabs");
    assert.equal(await result(id, "await page.title()"), "Tabs page");
    const stuck = await python(id, 'await page.evaluate("() => { while (true) {} }")', 2);
    assert.deepEqual([stuck.success, stuck.killed], [false, true]);
    // The new interpreter's connection would wait on that tab for good; it is closed first.
    // Before, that wait outlived the call, and the server ended the session as crashed.
    const next = await python(id, "[len(context.pages), page.url]", 20);
    assert.equal(next.success, true, next.stderr ?? next.error);
    assert.equal(next.result, '[1,"about:blank"]');
  });

  it("keeps the interpreter warm: later calls run in the same process, and fast", async (context) => {
    const id = await scrape("/tabs");
    await run(id, "node", "page.url()");
    // The session is open; the first python call starts the interpreter and connects it.
    const first = await timed(() => result(id, PID));
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const call = await timed(() => result(id, "await page.title()"));
      assert.equal(call.value, "Tabs page");
      times.push(call.ms);
    }
    assert.equal(await result(id, PID), first.value, "the same process");
    const median = times.sort((a, b) => a - b)[2] ?? Infinity;
    const report = `first ${first.ms.toFixed(0)} ms, warm median ${median.toFixed(0)} ms`;
    context.diagnostic(report);
    assert.ok(median * 3 < first.ms, report);
  });

  it("runs in the sandbox: no DATA_DIR, no server environment, no API port (with controls)", async () => {
    const inherited = execFileSync(process.execPath, [
      "-e",
      `process.stdout.write(process.env.${CANARY_NAME} ?? "")`,
    ]).toString();
    assert.equal(inherited, CANARY, "control: an ordinary child inherits the canary");
    const marker = path.join(t.server.dataDir, "marker.txt");
    writeFileSync(marker, "secret");
    const apiPort = new URL(t.server.url).port;
    const response = await python(shared, sandboxProbe(marker, site("/plain.txt"), apiPort));
    assert.equal(response.success, true, response.stderr);
    assert.ok(!JSON.stringify(response).includes(CANARY), "the canary never reaches the reply");
    const probe = JSON.parse(response.result ?? "") as Record<string, unknown>;
    assert.deepEqual(probe, {
      marker: "FileNotFoundError",
      data_dir: "FileNotFoundError",
      project: true,
      canary: false,
      home: "/tmp",
      has_path: true,
      environs_read: true,
      api_direct: "ConnectionRefusedError",
      api_via_proxy: 403,
      site_direct: "ConnectionRefusedError",
      site_via_proxy: 200,
      page_goto: 200,
    });
  });
});

/**
 * Python that tries what hostile code would, each refusal next to its control. Chromium's own
 * egress proxy (its --proxy-server, read from /proc) is the one way out for user code too.
 */
function sandboxProbe(marker: string, siteUrl: string, apiPort: string): string {
  return String.raw`import os, urllib.error, urllib.request
def outcome(work):
    """What work() gives, or how it fails: an HTTP status, or the class of the error."""
    try:
        return work()
    except urllib.error.HTTPError as error:
        return error.code
    except urllib.error.URLError as error:
        return type(error.reason).__name__
    except Exception as error:
        return type(error).__name__
def status(url, proxy=None):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy} if proxy else {}))
    def get():
        with opener.open(url, timeout=5) as response:
            return response.status
    return outcome(get)
def proc_files(name):
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as file:
                yield file.read().decode(errors="replace")
        except OSError:
            pass
proxy = next(
    arg.split("=", 1)[1]
    for cmdline in proc_files("cmdline")
    for arg in cmdline.split("\0")
    if arg.startswith("--proxy-server=")
)
api = "http://127.0.0.1:${apiPort}/v0/health/liveness"
environs = list(proc_files("environ"))
{
    "marker": outcome(lambda: open(${JSON.stringify(marker)}).read()),
    "data_dir": outcome(lambda: os.listdir(${JSON.stringify(path.dirname(marker))})),
    "project": '"name": "skiff"' in open(${JSON.stringify(path.join(PROJECT_ROOT, "package.json"))}).read(),
    "canary": "${CANARY_NAME}" in os.environ or any("${CANARY}" in e for e in environs),
    "home": os.environ.get("HOME"),
    "has_path": "PATH" in os.environ,
    "environs_read": len(environs) >= 2 and any("HOME=/tmp\0" in e for e in environs),
    "api_direct": status(api),
    "api_via_proxy": status(api, proxy),
    "site_direct": status("${siteUrl}"),
    "site_via_proxy": status("${siteUrl}", proxy),
    "page_goto": (await page.goto("${siteUrl}")).status,
}`;
}
