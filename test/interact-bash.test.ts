// `language: "bash"` through the official SDK: a shell in the session's sandbox, with the
// agent-browser CLI attached to the session's own browser and pinned to its content tab.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { interactClient } from "./helpers/interact-client.ts";
import { useSkiffAndSite } from "./helpers/skiff-harness.ts";

const t = useSkiffAndSite({ SESSION_WARM_POOL: "1" });
const { sdk, scrape, run } = interactClient(t);
const bash = (id: string, code: string, timeout?: number) => run(id, "bash", code, timeout);

/** Runs bash and asserts it succeeded; returns its stdout. */
async function stdout(id: string, code: string): Promise<string> {
  const reply = await bash(id, code);
  assert.equal(reply.success, true, `${code}: ${reply.error ?? ""}`);
  return reply.stdout ?? "";
}

/** A session whose agent-browser is attached to a page that then loops in its own JavaScript. */
async function attachedToStuckPage(): Promise<string> {
  const id = await scrape("/article");
  assert.equal((await stdout(id, "agent-browser get title")).trim(), "Skiff Test Article");
  const loop = "await page.evaluate(() => { setTimeout(() => { while (true) {} }, 100) })";
  assert.equal((await run(id, "node", loop)).success, true);
  await new Promise((r) => setTimeout(r, 300));
  return id;
}

describe("interact in bash with agent-browser", () => {
  it("snapshots the content tab, clicks a ref in the next call, reads the result", async () => {
    const id = await scrape("/tabs");
    const snapshot = await stdout(id, "agent-browser snapshot -i");
    const ref = /- button "Second tab" \[ref=(e\d+)\]/.exec(snapshot)?.[1];
    assert.ok(ref, `a ref for the second tab in:\n${snapshot}`);
    assert.match(await stdout(id, `agent-browser click @${ref}`), /Done/);
    assert.equal(
      (await stdout(id, "agent-browser get text '#two'")).trim(),
      "Second panel content revealed",
    );
    assert.equal((await stdout(id, "agent-browser get url")).trim(), `${t.site.url}/tabs`);
    const tabs = await sdk().interact(id, { code: "context.pages().map((p) => p.url())" });
    assert.equal(tabs.result, JSON.stringify([`${t.site.url}/tabs`]), "still one tab");
  });

  it("keeps /tmp between calls, has the usual tools, and reports exit codes", async () => {
    const id = await scrape("/article");
    await stdout(id, "echo kept > /tmp/note.txt");
    assert.equal(await stdout(id, "cat /tmp/note.txt"), "kept\n");
    assert.equal(
      await stdout(id, `echo '{"a":{"b":7}}' | jq .a.b | sed 's/7/seven/' | grep -c seven`),
      "1\n",
    );
    const failed = await bash(id, "echo oops >&2; exit 3");
    assert.equal(failed.success, false);
    assert.equal(failed.exitCode, 3);
    assert.equal(failed.stderr, "oops\n");
    const shot = await stdout(
      id,
      "agent-browser screenshot /tmp/page.png >/dev/null && stat -c %s /tmp/page.png",
    );
    assert.ok(Number(shot) > 1000, `screenshot of ${shot.trim()} bytes`);
  });

  it("kills a call at its timeout, and the session and agent-browser live on", async () => {
    const id = await scrape("/article");
    const daemon = "cat ~/.agent-browser/default.pid";
    const before = await stdout(id, `agent-browser get url >/dev/null && ${daemon}`);
    const started = performance.now();
    const reply = await bash(id, "sleep 100 | cat", 2);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(reply.killed, true);
    assert.ok(seconds >= 2 && seconds < 6, `${seconds.toFixed(1)} s`);
    assert.equal((await stdout(id, "agent-browser get title")).trim(), "Skiff Test Article");
    assert.equal(await stdout(id, daemon), before, "the same daemon: its refs carry on");
  });

  it("answers within its timeout when agent-browser cannot attach, and the session lives on", async () => {
    const id = await scrape("/article");
    // The page's own script loops from now on: attaching to it takes agent-browser ~16 s.
    const loop = "await page.evaluate(() => { setTimeout(() => { while (true) {} }, 100) })";
    assert.equal((await run(id, "node", loop)).success, true);
    const started = performance.now();
    const reply = await bash(id, "agent-browser get url", 1);
    const seconds = (performance.now() - started) / 1000;
    assert.deepEqual([reply.success, reply.killed], [false, false]);
    assert.match(reply.error ?? "", /^agent-browser did not attach .* within the call's 1000 ms$/);
    assert.ok(seconds < 4, `answered after ${seconds.toFixed(1)} s`);
    // Before, the host answered after the server's slack and the session was ended as crashed.
    assert.equal((await run(id, "node", "1 + 1")).result, "2");
  });

  it("after a call that a stuck page timed out, sweeps the page and goes on in a new tab", async () => {
    const id = await attachedToStuckPage();
    const stuck = await bash(id, "agent-browser eval 1", 2);
    assert.equal(stuck.killed, true, "the page answers nothing");
    // Before, every later bash call timed out too (agent-browser's daemon, `open` included).
    assert.equal((await stdout(id, "agent-browser get url")).trim(), "about:blank");
    assert.match(await stdout(id, `agent-browser open ${t.site.url}/form`), /Form page/);
    const pages = await run(id, "node", "context.pages().map((p) => p.url())");
    assert.equal(pages.result, JSON.stringify([`${t.site.url}/form`]), "one tab, the new one");
  });

  it("after a node call that a stuck page timed out, sweeps the page before the next bash call", async () => {
    const id = await attachedToStuckPage();
    assert.equal((await run(id, "node", "await page.title()", 2)).killed, true);
    // Before, this bash call timed out on the stuck page; the next one then recovered.
    assert.equal((await stdout(id, "agent-browser get url")).trim(), "about:blank");
  });

  it("pins a tab again when user code closed the one it was pinned to", async () => {
    const id = await scrape("/article");
    assert.equal((await stdout(id, "agent-browser get title")).trim(), "Skiff Test Article");
    assert.equal((await run(id, "node", "await page.close()")).success, true);
    // Before, agent-browser answered "tab_gone" to every later command.
    assert.equal((await stdout(id, "agent-browser get url")).trim(), "about:blank");
    assert.match(await stdout(id, `agent-browser open ${t.site.url}/form`), /Form page/);
  });

  it("fills a field by its ref and submits the form", async () => {
    const id = await scrape("/form");
    const snapshot = await stdout(id, "agent-browser snapshot -i");
    const field = /- textbox "Type here" \[ref=(e\d+)\]/.exec(snapshot)?.[1];
    const send = /- button "Send" \[ref=(e\d+)\]/.exec(snapshot)?.[1];
    assert.ok(field && send, snapshot);
    await stdout(id, `agent-browser fill @${field} "from bash"`);
    await stdout(id, `agent-browser click @${send}`);
    assert.equal(
      (await stdout(id, "agent-browser get text '#result'")).trim(),
      "You typed: from bash",
    );
  });

  it("sees nothing of the server", async () => {
    const id = await scrape("/article");
    const out = await stdout(
      id,
      `ls ${JSON.stringify(t.server.dataDir)} >/dev/null 2>&1 && echo "data dir visible" || echo "no data dir"
       cat /proc/${process.pid}/environ >/dev/null 2>&1 && echo "server environ visible" || echo "no server environ"
       env | grep -c '^SKIFF' || true`,
    );
    assert.equal(out, "no data dir\nno server environ\n0\n");
  });

  it("has no network but the browser's proxy", async () => {
    const id = await scrape("/article");
    const port = new URL(t.server.url).port;
    const out = await stdout(
      id,
      `for target in 127.0.0.1/${port} 10.0.0.1/80 169.254.169.254/80; do
         if timeout 3 bash -c "exec 3<>/dev/tcp/$target" 2>/dev/null; then echo "$target reached"; else echo "$target refused"; fi
       done`,
    );
    assert.doesNotMatch(out, /reached/);
    assert.equal(out.split("\n").filter(Boolean).length, 3);
  });
});
