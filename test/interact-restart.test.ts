// A server killed with SIGKILL cannot stop its session hosts: they must die on their own (bwrap's
// --die-with-parent, or the host seeing its channel close), and the next server on the same
// DATA_DIR must stop any that did not, remove their folders and answer 410 for their sessions.
// Real processes throughout: `node src/main.ts`, real sandboxes, real Chromium, found via /proc.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { SqliteStore } from "../src/store/sqlite-store.ts";
import { startTestSite, type TestSite } from "./fixtures/site/test-site.ts";
import { postJson } from "./helpers/skiff-harness.ts";
import { statFields } from "../src/runtimes/proc-stat.ts";

type Mode = "bwrap" | "none";

const MAIN = path.resolve(import.meta.dirname, "../src/main.ts");
const NO_BWRAP = existsSync("/usr/bin/bwrap") ? false : "bubblewrap (/usr/bin/bwrap) is missing";
/** Closing a host's browser is bounded by a few seconds; orphans get a little more. */
const GONE_WITHIN_MS = 8_000;
const PAGE_TITLE = "Skiff test site";

/** Every server and process a test saw, killed in `after` should an assertion stop it early. */
const servers: ChildProcess[] = [];
const seen: Proc[] = [];
const dataDirs: string[] = [];

/** A process as seen once: its start time tells it from a later one that reuses the pid. */
interface Proc {
  pid: number;
  startTime: string;
  cmdline: string;
}

function snapshot(pid: number): Proc | undefined {
  const startTime = statFields(pid)?.[19];
  if (!startTime) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    return { pid, startTime, cmdline };
  } catch {
    return undefined;
  }
}

/** Still the same process and not a zombie: nobody may reap an orphan here, yet it is dead. */
function isRunning(proc: Proc): boolean {
  const fields = statFields(proc.pid);
  return fields?.[19] === proc.startTime && fields[0] !== "Z" && fields[0] !== "X";
}

/** `root` and all its descendants, from one pass over /proc; robust to any thread forking. */
function processTree(root: number): Proc[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    const ppid = Number.isInteger(pid) ? Number(statFields(pid)?.[1]) : NaN;
    if (ppid > 0) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const pids = [root];
  for (let i = 0; i < pids.length; i++) pids.push(...(children.get(pids[i] ?? 0) ?? []));
  return pids.map(snapshot).filter((p): p is Proc => p !== undefined);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await delay(100);
  }
  return true;
}

function listProcs(procs: Proc[]): string {
  return procs.map((p) => `  ${p.pid} ${p.cmdline.slice(0, 140)}`).join("\n");
}

/** One `node src/main.ts`; its output (pino on stdout) is kept for failure messages. */
class ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<void>;
  readonly #output: string[];

  private constructor(child: ChildProcess, url: string, output: string[]) {
    this.child = child;
    this.url = url;
    this.#output = output;
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
  }

  /** Resolves once the server listens, which is after its reapers ran. */
  static start(dataDir: string, mode: Mode): Promise<ServerProcess> {
    const env = {
      ...process.env,
      PORT: "0",
      DATA_DIR: dataDir,
      ALLOW_PRIVATE_TARGETS: "true",
      SESSION_WARM_POOL: "1",
      SESSION_WARM_POOL_MAX: "0",
      SANDBOX: mode,
      LOG_LEVEL: "info",
    };
    const child = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
    servers.push(child);
    const output: string[] = [];
    return new Promise((resolve, reject) => {
      let started: ServerProcess | undefined;
      const collect = (chunk: Buffer) => {
        output.push(chunk.toString());
        const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output.join(""));
        if (started || !m?.[1]) return;
        started = new ServerProcess(child, m[1], output);
        resolve(started);
      };
      child.stdout?.on("data", collect);
      child.stderr?.on("data", collect);
      child.once("exit", (code) =>
        reject(new Error(`server exited (${code}): ${output.join("")}`)),
      );
    });
  }

  get pid(): number {
    assert.ok(this.child.pid);
    return this.child.pid;
  }

  get log(): string {
    return this.#output.join("").slice(-3000);
  }

  /** Readiness means the scrape browser is up. */
  async waitReady(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const res = await fetch(`${this.url}/v0/health/readiness`).catch(() => undefined);
      if (res?.status === 200) return;
      await delay(100);
    }
    assert.fail(`not ready within 30 s:\n${this.log}`);
  }

  /** SIGKILL, as the OOM killer or `kill -9` would: no chance to clean up. */
  async kill(): Promise<void> {
    this.child.kill("SIGKILL");
    await this.exited;
  }

  /** SIGTERM (a clean stop), then SIGKILL for whatever is left of it and its children. */
  async stop(): Promise<void> {
    const tree = processTree(this.pid);
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 15_000);
    await this.exited;
    clearTimeout(timer);
    for (const proc of tree) if (isRunning(proc)) killQuietly(proc.pid);
  }
}

async function scrape(server: ServerProcess, site: TestSite): Promise<string> {
  const { status, body } = await postJson(`${server.url}/v2/scrape`, {
    url: `${site.url}/`,
    formats: ["markdown"],
  });
  assert.equal(status, 200, JSON.stringify(body));
  const id: unknown = body.data?.metadata?.scrapeId;
  assert.ok(typeof id === "string", "the scrape has an id");
  return id;
}

function interact(server: ServerProcess, scrapeId: string) {
  return postJson(`${server.url}/v2/scrape/${scrapeId}/interact`, { code: "await page.title()" });
}

async function assertInteractWorks(server: ServerProcess, scrapeId: string): Promise<void> {
  const { status, body } = await interact(server, scrapeId);
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.success, true, body.error);
  assert.equal(body.result, PAGE_TITLE);
}

function ownerDir(dataDir: string, serverPid: number): string {
  return path.join(dataDir, "sessions", String(serverPid));
}

/** The processes named by the `host.pid` files in one server's session folders. */
function hostsOf(dataDir: string, serverPid: number): Proc[] {
  const owner = ownerDir(dataDir, serverPid);
  const folders = existsSync(owner) ? readdirSync(owner) : [];
  return folders.flatMap((name) => {
    const file = path.join(owner, name, "host.pid");
    const host = existsSync(file) ? snapshot(Number(readFileSync(file, "utf8"))) : undefined;
    return host ? [host] : [];
  });
}

/** A session's Chromium keeps its profile in the session's own /tmp, as its host sees it. */
function profilePattern(mode: Mode, owner: string): RegExp {
  const tmp = mode === "none" ? `${owner}/skiff-session-[^/ ]+/tmp` : "/tmp";
  return new RegExp(`--user-data-dir=${tmp}/skiff-cdp-`);
}

interface FirstRun {
  server: ServerProcess;
  mode: Mode;
  dataDir: string;
  scrapeId: string;
  /** The session's host and the warm one launched to replace it (bwrap, or node in "none"). */
  hosts: Proc[];
  /** Each host's Chromium (the browser process; its helpers are in `everything`). */
  browsers: Proc[];
  /** Every process under the server: hosts, their browsers, the scrape browser. */
  everything: Proc[];
}

/**
 * A server with one live interact session and a refilled warm host, each with its Chromium;
 * fails unless all of that is seen running, so a test of their absence later means something.
 */
async function startFirstRun(site: TestSite, mode: Mode): Promise<FirstRun> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "skiff-restart-"));
  dataDirs.push(dataDir);
  const server = await ServerProcess.start(dataDir, mode);
  await server.waitReady();
  const scrapeId = await scrape(server, site);
  await assertInteractWorks(server, scrapeId);
  const profile = profilePattern(mode, ownerDir(dataDir, server.pid));
  let hosts: Proc[] = [];
  let browsers: Proc[] = [];
  const bothUp = () => {
    hosts = hostsOf(dataDir, server.pid);
    browsers = hosts.flatMap((h) => processTree(h.pid).filter((p) => profile.test(p.cmdline)));
    return hosts.length === 2 && browsers.length >= 2;
  };
  const up = await waitUntil(bothUp, 20_000);
  const everything = processTree(server.pid).slice(1);
  seen.push(...everything);
  assert.ok(up, `want 2 hosts and browsers, saw:\n${listProcs([...hosts, ...browsers])}`);
  for (const p of [...hosts, ...browsers]) {
    assert.ok(
      everything.some((e) => e.pid === p.pid),
      `${p.pid} is under the server`,
    );
  }
  return { server, mode, dataDir, scrapeId, hosts, browsers, everything };
}

async function assertAllGone(procs: Proc[], when: string): Promise<void> {
  await waitUntil(() => !procs.some(isRunning), GONE_WITHIN_MS);
  const left = procs.filter(isRunning);
  assert.ok(left.length === 0, `${left.length} still running ${when}:\n${listProcs(left)}`);
}

/**
 * A second server on the same DATA_DIR: it removed the old folder and stopped what was left,
 * answers 410 for the old session, serves new ones, and recorded the old one's end.
 */
async function assertSecondRunCleansUp(run: FirstRun, site: TestSite): Promise<void> {
  const second = await ServerProcess.start(run.dataDir, run.mode);
  try {
    assert.equal(existsSync(ownerDir(run.dataDir, run.server.pid)), false, "old folder removed");
    await assertAllGone(run.everything, "once the next server started");
    const old = await interact(second, run.scrapeId);
    assert.equal(old.status, 410, JSON.stringify(old.body));
    assert.equal(old.body.success, false);
    assert.equal(old.body.error, "Browser session has been destroyed.");
    await second.waitReady();
    await assertInteractWorks(second, await scrape(second, site));
  } finally {
    await second.stop();
  }
  const store = new SqliteStore(run.dataDir);
  const row = await store.getSessionByScrape(run.scrapeId);
  await store.close();
  assert.equal(row?.status, "destroyed");
  assert.equal(row?.endReason, "server-restart");
}

describe("interact sessions when the server is killed with SIGKILL", () => {
  let site: TestSite;
  before(async () => {
    site = await startTestSite();
  });
  after(async () => {
    for (const child of servers) if (child.exitCode === null) child.kill("SIGKILL");
    for (const proc of seen) if (isRunning(proc)) killQuietly(proc.pid);
    await site.close();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  for (const mode of ["bwrap", "none"] as const) {
    const skip = mode === "bwrap" && NO_BWRAP;
    const how = mode === "bwrap" ? "bwrap --die-with-parent" : "the host seeing its channel close";
    it(`SANDBOX=${mode}: hosts and browsers die with the server (${how})`, { skip }, async () => {
      const run = await startFirstRun(site, mode);
      await run.server.kill();
      await assertAllGone(run.everything, "after the server was killed");
      await assertSecondRunCleansUp(run, site);
    });
  }

  it("SANDBOX=none: the next server kills hosts that outlived theirs, with their browsers", async () => {
    const run = await startFirstRun(site, "none");
    // A stopped host cannot see its channel close: it stands for one that is wedged or slow.
    for (const host of run.hosts) process.kill(host.pid, "SIGSTOP");
    await run.server.kill();
    await delay(1_000);
    const gone = [...run.hosts, ...run.browsers].filter((p) => !isRunning(p));
    assert.ok(gone.length === 0, `these did not outlive the server:\n${listProcs(gone)}`);
    await assertSecondRunCleansUp(run, site);
  });
});
