import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { CHROME_PATH } from "../../test/fixtures/site/test-browser.ts";
import { startTestSite, type TestSite } from "../../test/fixtures/site/test-site.ts";
import { recordLog } from "../../test/helpers/log-recorder.ts";
import { isRunning } from "../runtimes/proc-stat.ts";
import { createLogger, type Logger } from "../log.ts";
import type { HostChannel } from "./host-channel.ts";
import { toFunctionBody } from "../runtimes/last-expression.ts";
import { connectSandboxedHost } from "./host-launcher.ts";
import {
  createSessionDir,
  sessionDirs,
  type SandboxMode,
  type SandboxProcess,
} from "./sandbox-launcher.ts";
import type {
  ExecResult,
  OpenResult,
  ReplayRequest,
  ReplayResult,
} from "./session-host-protocol.ts";

const skip = existsSync("/usr/bin/bwrap") ? false : "bubblewrap (/usr/bin/bwrap) is not installed";
const HOST_SCRIPT = path.join(import.meta.dirname, "session-host.ts");
const logger = createLogger("silent");

interface Host {
  channel: HostChannel;
  proc: SandboxProcess;
  /** From launch to `open` answered: sandbox, host, Chromium and both CDP connections. */
  openMs: number;
}

/** Starts the session host as the server does, sharing the host network (no egress proxy here). */
async function startHost(mode: SandboxMode = "bwrap", log: Logger = logger): Promise<Host> {
  const started = performance.now();
  const { channel, proc } = await connectSandboxedHost({
    command: process.execPath,
    args: (socket) => [
      HOST_SCRIPT,
      "--socket",
      socket,
      "--chrome",
      CHROME_PATH,
      "--log-level",
      "warn",
    ],
    mode,
    workDir: await createSessionDir(),
    shareNetwork: true,
    logger: log,
    heartbeatMs: 1000,
    missedHeartbeats: 3,
  });
  await channel.request<OpenResult>("open", {}, { timeoutMs: 30_000 });
  return { channel, proc, openMs: performance.now() - started };
}

/** Pids of the processes whose command line names this session's Chromium profile. */
function chromiumPids(proc: SandboxProcess): string[] {
  const profiles = readdirSync(sessionDirs(proc.workDir).tmp).filter((n) =>
    n.startsWith("skiff-cdp-"),
  );
  assert.equal(profiles.length, 1, "one Chromium profile in the session's /tmp");
  // Inside bwrap the profile is /tmp/<name>; in mode "none", <session dir>/tmp/<name>.
  const flag = new RegExp(`--user-data-dir=\\S*/tmp/${profiles[0]} `);
  return readdirSync("/proc").filter((pid) => /^\d+$/.test(pid) && flag.test(cmdline(pid)));
}

/** Of `pids`, those still running after a short grace: SIGKILL lands at once, death a moment later. */
async function survivors(pids: string[]): Promise<string[]> {
  const running = () => pids.filter(isRunning);
  for (let i = 0; i < 20 && running().length > 0; i++) await delay(100);
  return running();
}

function cmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

describe("session host in a bwrap sandbox", { skip }, () => {
  let site: TestSite;
  let host: Host;
  const replay = (request: Partial<ReplayRequest> & { url: string }) =>
    host.channel.request<ReplayResult>(
      "replay",
      { waitForMs: 0, actions: [], timeoutMs: 15_000, ...request },
      { timeoutMs: 20_000 },
    );
  // Node code reaches a host prepared, as the server sends it (session-calls.ts).
  const exec = (code: string, timeoutMs = 10_000) =>
    host.channel.request<ExecResult>(
      "exec",
      { language: "node", code: toFunctionBody(code), timeoutMs },
      { timeoutMs: timeoutMs + 5000 },
    );
  const result = async (code: string) => {
    const r = await exec(code);
    assert.equal(r.exitCode, 0, r.stderr);
    return r.result;
  };

  before(async () => {
    [site, host] = await Promise.all([startTestSite(), startHost()]);
  });

  after(async () => {
    host.proc.kill();
    await host.proc.exited;
    await site.close();
  });

  it("replays a page and an exec sees it", async (t) => {
    const started = performance.now();
    const replayed = await replay({ url: `${site.url}/tabs` });
    t.diagnostic(
      `open ${Math.round(host.openMs)} ms, replay ${Math.round(performance.now() - started)} ms`,
    );
    assert.deepEqual(replayed, { url: `${site.url}/tabs`, title: "Tabs page", tabs: 1 });
    assert.equal(await result("await page.title()"), "Tabs page");
  });

  it("replays actions: a click reveals the second panel", async () => {
    const actions = [{ type: "click" as const, selector: "button[data-panel=two]", all: false }];
    await replay({ url: `${site.url}/tabs`, actions });
    assert.equal(await result(`await page.locator("#two").isVisible()`), "true");
  });

  it("keeps a click in one exec for the next", async () => {
    await result(`await page.click("button[data-panel=one]")`);
    assert.equal(await result(`await page.locator("#one").isVisible()`), "true");
    assert.equal(await result(`await page.locator("#two").isVisible()`), "false");
  });

  it("leaves exactly one content tab after a page opens a stray popup", async () => {
    const replayed = await replay({ url: `${site.url}/popup` });
    assert.equal(replayed.tabs, 1);
    assert.equal(await result("context.pages().length"), "1");
    assert.equal(await result("page.url()"), `${site.url}/popup`);
    // Not vacuous: in this browser the page does open its popup (closed again here).
    const reopened = `await page.reload({ waitUntil: "load" });
      for (let i = 0; i < 50 && context.pages().length < 2; i++) await page.waitForTimeout(100);
      const count = context.pages().length;
      for (const other of context.pages()) if (other !== page) await other.close();
      count`;
    assert.equal(await result(reopened), "2");
  });

  it("kills a runaway exec and keeps the page", async () => {
    const r = await exec("while (true) {}", 2000);
    assert.equal(r.killed, true);
    assert.equal(await result("page.url()"), `${site.url}/popup`);
  });

  it("answers a failing replay with 'Replay failed:'", async () => {
    const actions = [{ type: "click" as const, selector: "#missing", all: false }];
    await assert.rejects(
      replay({ url: `${site.url}/tabs`, actions, timeoutMs: 1500 }),
      (err: Error) => {
        assert.match(err.message, /^Replay failed: .*#missing/);
        return true;
      },
    );
  });

  it("refuses languages it does not run yet", async () => {
    const call = host.channel.request("exec", { language: "ruby", code: "1", timeoutMs: 1000 });
    await assert.rejects(call, /language ruby is not supported by this session host/);
  });

  it("shuts down: exit 0, session directory removed", async () => {
    assert.deepEqual(await host.channel.request("shutdown", {}, { timeoutMs: 10_000 }), {});
    assert.deepEqual(await host.proc.exited, { code: 0, signal: null });
    assert.equal(existsSync(host.proc.workDir), false);
  });

  // In mode "none" nothing but the host itself stops Chromium: it has its own process group.
  for (const mode of ["bwrap", "none"] as const) {
    it(`exits with its Chromium when the server closes the channel (${mode})`, async (t) => {
      const other = await startHost(mode);
      t.after(() => other.proc.kill());
      const pids = chromiumPids(other.proc);
      assert.ok(pids.length > 0, "Chromium runs in the session");
      other.channel.close();
      assert.deepEqual(await other.proc.exited, { code: 0, signal: null });
      assert.deepEqual(await survivors(pids), []);
    });
  }

  it("exits when its Chromium dies, and its warning reaches the server's log at warn", async (t) => {
    const { logger: recording, lines } = recordLog<{ stream: string }>();
    const other = await startHost("bwrap", recording);
    t.after(() => other.proc.kill());
    // The browser process is the one Chromium process without a --type (renderer, gpu…).
    const browser = chromiumPids(other.proc).filter((pid) => !cmdline(pid).includes("--type="));
    assert.equal(browser.length, 1, "one browser process");
    process.kill(Number(browser[0]), "SIGKILL");
    assert.deepEqual(await other.proc.exited, { code: 0, signal: null });
    const said = lines.find((l) => l.msg === "the session's browser exited; the host exits");
    assert.ok(said, `the host's warning is in the log: ${JSON.stringify(lines)}`);
    assert.equal((said as { level?: number }).level, 40);
    assert.equal(said.stream, "stdout");
  });
});
