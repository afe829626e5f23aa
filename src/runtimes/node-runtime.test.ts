import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { launchCdpChromium, listTabs, type CdpChromium } from "./cdp-chromium.ts";
import { KILLED_EXIT_CODE, NodeRuntime } from "./node-runtime.ts";
import { TRUNCATION_MARKER } from "./output-buffer.ts";
import { startWorkerThread, workerSetup } from "./worker-thread.ts";

const CHROME = "/usr/bin/chromium-headless-shell";
const PAGE = `<!doctype html><title>Skiff test page</title>
<button id="b" onclick="this.textContent = 'clicked'">press</button>`;

function startSite(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.url === "/download") {
      res.writeHead(200, {
        "content-type": "application/pdf",
        "content-disposition": 'attachment; filename="x.pdf"',
      });
      res.end("%PDF-1.4");
      return;
    }
    res.writeHead(200, { "content-type": "text/html" });
    res.end(PAGE);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}/` });
    });
  });
}

describe("NodeRuntime", () => {
  let chromium: CdpChromium;
  let site: { server: Server; url: string };
  let runtime: NodeRuntime;
  const run = (code: string, timeoutMs = 10_000) => runtime.run(code, { timeoutMs });

  before(async () => {
    [chromium, site] = await Promise.all([
      launchCdpChromium({ executablePath: CHROME }),
      startSite(),
    ]);
    runtime = new NodeRuntime({
      cdpEndpoint: chromium.wsEndpoint,
      logger: pino({ level: "silent" }),
    });
    const nav = await run(`await page.goto(${JSON.stringify(site.url)})`);
    assert.equal(nav.exitCode, 0, nav.stderr);
  });

  after(async () => {
    await runtime.close();
    await chromium.close();
    site.server.close();
  });

  it("returns the last expression: await page.title()", async () => {
    const r = await run("await page.title()");
    assert.deepEqual(r, {
      stdout: "",
      stderr: "",
      result: "Skiff test page",
      exitCode: 0,
      killed: false,
    });
  });

  it("sends console.log/info to stdout and console.error/warn to stderr, formatted", async () => {
    const r = await run(`console.log("a %d", 1, {x: 2}); console.info("i");
      console.error("e"); console.warn("w")`);
    assert.equal(r.stdout, "a 1 { x: 2 }\ni\n");
    assert.equal(r.stderr, "e\nw\n");
    assert.equal(r.exitCode, 0);
  });

  it("renders strings as is, other values as JSON, undefined as empty", async () => {
    assert.equal((await run(`"plain"`)).result, "plain");
    assert.equal((await run(`({ a: [1, "x"] })`)).result, '{"a":[1,"x"]}');
    assert.equal((await run("42")).result, "42");
    assert.equal((await run("null")).result, "null");
    assert.equal((await run("undefined")).result, "");
    assert.equal(
      (await run("const o = {}; o.self = o; o")).result,
      "<ref *1> { self: [Circular *1] }",
    );
  });

  it("takes the last statement only when it is an expression", async () => {
    assert.equal((await run("const a = 2;\nconst b = a * 3;\nb + 1;")).result, "7");
    assert.equal((await run("const a = 2;\nconst b = a * 3;")).result, "");
    assert.equal((await run("let n = 1; n++; ;;")).result, "1");
    const shadow = await run("const page = { title: () => 'mine' };\npage.title()");
    assert.equal(shadow.result, "mine");
  });

  it("reports a throw with exitCode 1, the stack in stderr and error set", async () => {
    const r = await run(
      `console.error("before");\nfunction boom() { throw new Error("kaput") }\nboom()`,
    );
    assert.equal(r.exitCode, 1);
    assert.equal(r.killed, false);
    assert.match(r.stderr, /^before\nError: kaput\n\s+at boom \(interact\.js:2:/);
    assert.equal(r.error, r.stderr);
    const rejected = await run(`await Promise.reject(new TypeError("nope"))`);
    assert.equal(rejected.exitCode, 1);
    assert.match(rejected.stderr, /^TypeError: nope/);
  });

  it("reports a syntax error with exitCode 1 and the message in stderr", async () => {
    const r = await run("const x = ;");
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /SyntaxError: Unexpected token \(1:10\)/);
    assert.match(r.stderr, /const x = ;\n {10}\^/);
    assert.equal(r.error, r.stderr);
  });

  it("loads Node built-ins with import() and refuses other modules", async () => {
    const r = await run(`const { createHash } = await import("node:crypto");
      createHash("sha1").update("x").digest("hex")`);
    assert.equal(r.result, "11f6ad8ec52a2984abaafd7c3b516503785c2072");
    const refused = await run(`await import("playwright-core")`);
    assert.equal(refused.exitCode, 1);
    assert.match(refused.stderr, /only Node built-in modules/);
  });

  it("kills a runaway loop at its timeout; the page and its state survive", async () => {
    await run("await page.evaluate(() => { window.__marker = 'kept' })");
    const started = Date.now();
    const r = await run(`console.log("spinning"); while (true) {}`, 2000);
    const elapsed = Date.now() - started;
    assert.equal(r.killed, true);
    assert.equal(r.exitCode, KILLED_EXIT_CODE);
    assert.equal(r.stdout, "spinning\n");
    assert.match(r.error ?? "", /timed out after 2000 ms/);
    assert.ok(elapsed >= 1900 && elapsed < 5000, `took ${elapsed} ms`);
    const next = await run("await page.evaluate(() => window.__marker)");
    assert.equal(next.result, "kept");
    assert.equal((await run("page.url()")).result, site.url);
  });

  it("keeps page state between calls: a click is seen by the next call", async () => {
    await run(`await page.click("#b")`);
    const r = await run(`await page.textContent("#b")`);
    assert.equal(r.result, "clicked");
  });

  it("runs calls submitted together one at a time, in order", async () => {
    await run("globalThis.order = []");
    const calls = [300, 10, 100].map((ms, i) =>
      run(`await new Promise((r) => setTimeout(r, ${ms})); order.push(${i}); order.length`),
    );
    const results = await Promise.all(calls);
    assert.deepEqual(
      results.map((r) => r.result),
      ["1", "2", "3"],
    );
    assert.equal((await run("order")).result, "[0,1,2]");
  });

  it("caps each output at 1 MB with a marker", async () => {
    const r = await run(`const line = "x".repeat(1000);
      for (let i = 0; i < 3000; i++) console.log(line);
      "y".repeat(2_000_000)`);
    assert.equal(r.exitCode, 0);
    assert.ok(r.stdout.endsWith(TRUNCATION_MARKER));
    assert.equal(Buffer.byteLength(r.stdout), 1_000_000 + Buffer.byteLength(TRUNCATION_MARKER));
    assert.ok(r.result.endsWith(TRUNCATION_MARKER));
    assert.equal(Buffer.byteLength(r.result), 1_000_000 + Buffer.byteLength(TRUNCATION_MARKER));
  });

  it("fails a call that ends its worker, and the next call reconnects", async () => {
    const r = await run("process.exit(3)");
    assert.equal(r.exitCode, 1);
    assert.match(r.error ?? "", /worker exited \(code 3\)/);
    assert.equal((await run("page.url()")).result, site.url);
  });

  it("closes a tab that never showed a document before the next worker connects", async () => {
    // The popup's load becomes a download while the worker is stuck, so it never saw it begin.
    const stuck = await run(
      `await page.evaluate(() => { window.open("/download"); });
      while (true) {}`,
      2000,
    );
    assert.equal(stuck.killed, true);
    const tabs = await listTabs(new URL(chromium.wsEndpoint).host);
    assert.deepEqual(tabs.filter((t) => t.url === "").length, 1, "the popup shows no document");
    // Without the sweep, this worker waits for that tab's first document until its timeout.
    const next = await run("[context.pages().length, await page.title()]");
    assert.equal(next.exitCode, 0, next.stderr);
    assert.equal(next.result, '[1,"Skiff test page"]');
  });

  it("closes a tab stuck in its own JavaScript; the next call runs on a new page", async () => {
    const stuck = await run("await page.evaluate(() => { while (true) {} })", 2000);
    assert.equal(stuck.killed, true);
    // Without the sweep, this worker waits for the stuck tab until its timeout.
    const next = await run("[context.pages().length, page.url()]");
    assert.equal(next.exitCode, 0, next.stderr);
    assert.equal(next.result, '[1,"about:blank"]');
    assert.equal((await run(`await page.goto(${JSON.stringify(site.url)})`)).exitCode, 0);
  });

  it("survives a stray rejection from a timer", async () => {
    const r = await run(`setTimeout(() => { Promise.reject(new Error("late")) }, 0);
      await new Promise((r) => setTimeout(r, 50)); "still here"`);
    assert.equal(r.result, "still here");
    assert.match(r.stderr, /Error: late/);
  });
});

describe("NodeRuntime with pickPage", () => {
  it("runs against the page the picker chooses", async () => {
    const chromium = await launchCdpChromium({ executablePath: CHROME });
    const logger = pino({ level: "silent" });
    const setup = new NodeRuntime({ cdpEndpoint: chromium.wsEndpoint, logger });
    const picked = new NodeRuntime({
      cdpEndpoint: chromium.wsEndpoint,
      logger,
      pickPage: (browser) =>
        browser
          .contexts()[0]!
          .pages()
          .find((p) => p.url().includes("second"))!,
    });
    try {
      await setup.run(`const p = await context.newPage(); await p.goto("about:blank#second")`, {
        timeoutMs: 10_000,
      });
      const r = await picked.run("page.url()", { timeoutMs: 10_000 });
      assert.equal(r.result, "about:blank#second");
    } finally {
      await Promise.all([setup.close(), picked.close()]);
      await chromium.close();
    }
  });

  describe("with a worker started ahead of it (session-host-main.ts)", () => {
    let chromium: CdpChromium;
    before(async () => {
      chromium = await launchCdpChromium({ executablePath: CHROME });
    });
    after(async () => {
      await chromium.close();
    });
    const runtimeWith = (thread: ReturnType<typeof startWorkerThread>) =>
      new NodeRuntime({
        cdpEndpoint: chromium.wsEndpoint,
        logger: pino({ level: "silent" }),
        firstThread: thread,
      });

    it("runs on that worker first", async () => {
      const thread = startWorkerThread(workerSetup({}));
      const runtime = runtimeWith(thread);
      try {
        assert.equal(await runtime.driverAddress(), thread.setup.driverAddress);
        const r = await runtime.run("1 + 1", { timeoutMs: 10_000 });
        assert.equal(r.result, "2", r.stderr);
      } finally {
        await runtime.close();
      }
      assert.notEqual(thread.exitCode, undefined, "closing the runtime ends that worker");
    });

    it("fails the first call if that worker exited before the runtime took it, then starts another", async () => {
      const thread = startWorkerThread(workerSetup({}));
      await thread.worker.terminate();
      const runtime = runtimeWith(thread);
      try {
        const first = await runtime.run("1", { timeoutMs: 10_000 });
        assert.equal(first.exitCode, 1);
        assert.match(first.stderr, /worker exited/);
        const next = await runtime.run("2", { timeoutMs: 10_000 });
        assert.equal(next.result, "2", next.stderr);
        assert.notEqual(await runtime.driverAddress(), thread.setup.driverAddress);
      } finally {
        await runtime.close();
      }
    });
  });
});
