// Interact sessions are isolated from the server and from each other. Real sessions (bubblewrap,
// Chromium, the Node runtime), driven over HTTP, try what hostile code would: read the server's
// DATA_DIR, its environment and its /proc, another session's /tmp, and a neighbour's crash must
// not disturb them. Every refused probe has a positive control (the same probe working where it
// should), so a refusal shows the sandbox at work rather than a broken probe.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import Firecrawl from "@mendable/firecrawl-js";
import { PLAYWRIGHT_BUNDLES } from "../src/runtimes/playwright-bundles.ts";
import { escapeNonAscii } from "../src/sandbox/sandbox-bundles.ts";
import { postJson, useSkiffAndSite, type RunningSkiff } from "./helpers/skiff-harness.ts";
import { serverWarnings } from "./helpers/server-warnings.ts";
import { isRunning } from "../src/runtimes/proc-stat.ts";

const BUNDLES_MODULE = path.resolve(import.meta.dirname, "../src/runtimes/playwright-bundles.ts");

const skip = existsSync("/usr/bin/bwrap") ? false : "bubblewrap (/usr/bin/bwrap) is not installed";

/** Set before the server starts; the server runs in this process, so its environment has it. */
const CANARY_NAME = "SKIFF_ISOLATION_CANARY";
const CANARY = `canary-${randomUUID()}`;
process.env[CANARY_NAME] = CANARY;

/** The errors a path outside the sandbox's view may give: not there, or not allowed. */
const REFUSED = ["ENOENT", "EACCES", "EPERM"];

/** What a call whose host died under it answers (ENDED_DURING_CALL in session-replies.ts). */
const HOST_EXITED_DURING_CALL =
  "The browser session's host exited while this call ran; the session is destroyed.";

/** Starts every probe: `fs`, `os`, `path`; `attempt(fn)` and `read(file)` give an Attempt. */
const PRELUDE = `const fs = await import("node:fs");
const os = await import("node:os");
const path = await import("node:path");
const attempt = (fn) => {
  try { return { ok: true, value: String(fn()) }; }
  catch (err) { return { ok: false, code: err.code ?? String(err) }; }
};
const read = (file) => attempt(() => fs.readFileSync(file, "utf8"));
`;

/** Probe code: every file name under `/` (not /proc, /sys, /dev) that starts with a needle. */
const FIND_NAMES = `const findNames = (needles) => {
  const found = [];
  const walk = (dir) => {
    if (["/proc", "/sys", "/dev"].includes(dir)) return;
    let entries = [];
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (needles.some((n) => entry.name.startsWith(n))) found.push(full);
      if (entry.isDirectory()) walk(full);
    }
  };
  walk("/");
  return found;
};
`;

interface Attempt {
  ok: boolean;
  value?: string;
  code?: string;
}

/** A scrape with a live session, and the session's directory on the host. */
interface Session {
  label: string;
  scrapeId: string;
  url: string;
  hostDir: string;
}

/** A string as a JavaScript literal, for building probe code. */
const js = (value: unknown): string => JSON.stringify(value);

function assertRefused(attempt: Attempt, what: string): void {
  assert.equal(attempt.ok, false, `${what} should fail, read: ${attempt.value}`);
  assert.ok(REFUSED.includes(attempt.code ?? ""), `${what}: ${attempt.code}`);
}

function interact(server: RunningSkiff, session: Session, code: string) {
  return postJson(`${server.url}/v2/scrape/${session.scrapeId}/interact`, {
    code,
    language: "node",
  });
}

/** Runs PRELUDE + `code` (its last expression an object); returns that object and the raw reply. */
async function probe<T>(
  server: RunningSkiff,
  session: Session,
  code: string,
): Promise<{ result: T; raw: string }> {
  const { status, body } = await interact(server, session, PRELUDE + code);
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.success, true, body.error);
  return { result: JSON.parse(body.result) as T, raw: JSON.stringify(body) };
}

/** Scrapes `url`, opens its session with a first call, and finds the session's host directory. */
async function openSession(server: RunningSkiff, label: string, url: string): Promise<Session> {
  const sdk = new Firecrawl({ apiUrl: server.url, apiKey: "" });
  const doc = await sdk.scrape(url, { formats: ["markdown"] });
  assert.ok(doc.metadata?.scrapeId, "the scrape has an id");
  const session = { label, scrapeId: doc.metadata.scrapeId, url, hostDir: "" };
  const tag = `tag-${label}`;
  // os.tmpdir(), not /tmp: the same probe finds the directory without a sandbox (SANDBOX=none).
  await probe(server, session, `fs.writeFileSync(path.join(os.tmpdir(), ${js(tag)}), "");\n({})`);
  session.hostDir = hostDirHolding(server, tag);
  return session;
}

/** The one session directory on the host whose /tmp holds `fileName`. */
function hostDirHolding(server: RunningSkiff, fileName: string): string {
  const parent = path.join(server.dataDir, "sessions", String(process.pid));
  const dirs = readdirSync(parent)
    .map((name) => path.join(parent, name))
    .filter((dir) => existsSync(path.join(dir, "tmp", fileName)));
  assert.equal(dirs.length, 1, `one session directory holds ${fileName}`);
  return dirs[0] ?? "";
}

/** The host pids of the Chromium whose profile lies in `hostDir`'s /tmp. */
function chromiumPids(hostDir: string): string[] {
  const profiles = readdirSync(path.join(hostDir, "tmp")).filter((n) => n.startsWith("skiff-cdp-"));
  assert.equal(profiles.length, 1, "one Chromium profile in the session's /tmp");
  const flag = `--user-data-dir=/tmp/${profiles[0]}\0`;
  return readdirSync("/proc").filter(
    (pid) => /^\d+$/.test(pid) && readProc(pid, "cmdline").includes(flag),
  );
}

function readProc(pid: string, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return "";
  }
}

async function waitUntil(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  for (const started = Date.now(); !condition(); await delay(50)) {
    if (Date.now() - started > ms) assert.fail(`${what} within ${ms} ms`);
  }
}

describe("interact sessions are isolated (bubblewrap)", { skip }, () => {
  const t = useSkiffAndSite({ SANDBOX: "bwrap", SESSION_WARM_POOL: "2" });
  let a: Session;
  let b: Session;

  before(async () => {
    [a, b] = await Promise.all([
      openSession(t.server, "A", `${t.site.url}/article`),
      openSession(t.server, "B", `${t.site.url}/form`),
    ]);
  });

  after(() => {
    delete process.env[CANARY_NAME];
  });

  it("cannot read the server's DATA_DIR, though it reads its /tmp and the project", async () => {
    const { dataDir } = t.server;
    const secret = `data-${randomUUID()}`;
    const marker = path.join(dataDir, "marker.txt");
    writeFileSync(marker, secret);
    const sessionsDir = path.join(dataDir, "sessions");
    assert.ok(readdirSync(sessionsDir).length > 0, "the host sees DATA_DIR/sessions");
    const ownFile = `/tmp/own-${randomUUID()}`;
    const packageJson = path.resolve(import.meta.dirname, "../package.json");
    const { result, raw } = await probe<Record<string, Attempt>>(
      t.server,
      a,
      `fs.writeFileSync(${js(ownFile)}, "own");
      ({
        marker: read(${js(marker)}),
        dataDir: attempt(() => fs.readdirSync(${js(dataDir)})),
        sessions: attempt(() => fs.readdirSync(${js(sessionsDir)})),
        ownFile: read(${js(ownFile)}),
        tmp: attempt(() => fs.readdirSync("/tmp")),
        project: read(${js(packageJson)}),
      })`,
    );
    assertRefused(result.marker!, "reading DATA_DIR/marker.txt");
    assertRefused(result.dataDir!, "listing DATA_DIR");
    assertRefused(result.sessions!, "listing DATA_DIR/sessions");
    assert.ok(!raw.includes(secret), "the marker's content never reaches the reply");
    assert.deepEqual(result.ownFile, { ok: true, value: "own" });
    assert.ok(result.tmp!.value?.includes(path.basename(ownFile)), "its own /tmp lists");
    assert.ok(result.project!.value?.includes('"name": "skiff"'), "a mounted host file reads");
  });

  it("cannot write the compile cache every host shares, nor the project", async () => {
    const packageJson = path.resolve(import.meta.dirname, "../package.json");
    const { result } = await probe<Record<string, Attempt>>(
      t.server,
      a,
      `const cache = process.env.NODE_COMPILE_CACHE ?? "";
      ({
        cache: attempt(() => cache),
        cacheFiles: attempt(() => fs.readdirSync(cache, { recursive: true }).length),
        write: attempt(() => fs.writeFileSync(path.join(cache, "poison"), "x")),
        project: attempt(() => fs.appendFileSync(${js(packageJson)}, " ")),
      })`,
    );
    assert.equal(result.cache?.value, "/run/skiff-compile-cache");
    assert.ok(Number(result.cacheFiles?.value) > 10, "the cache is there, and filled");
    assert.equal(result.write?.code, "EROFS");
    assert.equal(result.project?.code, "EROFS");
  });

  it("sees Playwright's bundles as lazy ASCII copies, which the shared code cache was made from", async () => {
    for (const bundle of PLAYWRIGHT_BUNDLES) {
      const source = readFileSync(bundle, "utf8");
      assert.notEqual(escapeNonAscii(source), source, "control: the original is not ASCII");
    }
    // A fresh Node in the sandbox, with the host's flags (they are part of what V8 checks), loads
    // the bundles as the host's worker does (playwright-preload.ts).
    const load = `import { bundleCacheDir, loadPlaywrightBundles } from ${js(BUNDLES_MODULE)};
      const { fromCache, rejected } = loadPlaywrightBundles({
        cacheDir: bundleCacheDir(process.env.NODE_COMPILE_CACHE),
      });
      // zod's first statement marks the global: it runs only when Playwright's MCP code is used.
      const zodRan = "__zod_globalConfig" in globalThis;
      console.log(JSON.stringify({ fromCache, rejected, zodRan }));`;
    const { result } = await probe<{ ascii: boolean[]; load: string }>(
      t.server,
      a,
      `const { spawnSync } = await import("node:child_process");
      const args = [...process.execArgv, "--input-type=module", "-e", ${js(load)}];
      const load = spawnSync(process.execPath, args, {
        encoding: "utf8",
      });
      ({
        ascii: ${js(PLAYWRIGHT_BUNDLES)}.map((file) => fs.readFileSync(file).every((b) => b < 0x80)),
        load: load.stdout + load.stderr,
      })`,
    );
    assert.deepEqual(result.ascii, [true, true], "the sandbox sees ASCII at the bundles' paths");
    assert.deepEqual(
      JSON.parse(result.load),
      { fromCache: PLAYWRIGHT_BUNDLES, rejected: [], zodRan: false },
      "V8 takes the cached code for the sources the sandbox sees, which defer the MCP code",
    );
  });

  it("cannot see the server's environment, though a plain child process would", async () => {
    const inherited = execFileSync(process.execPath, [
      "-e",
      `process.stdout.write(process.env.${CANARY_NAME} ?? "")`,
    ]).toString();
    assert.equal(inherited, CANARY, "control: an ordinary child inherits the canary");
    const { result, raw } = await probe<{
      env: string;
      names: string[];
      home: string;
      environs: Attempt[];
    }>(
      t.server,
      a,
      `const pids = fs.readdirSync("/proc").filter((n) => /^\\d+$/.test(n));
      ({
        env: JSON.stringify(process.env),
        names: Object.keys(process.env),
        home: process.env.HOME,
        environs: pids.map((pid) => read("/proc/" + pid + "/environ")),
      })`,
    );
    assert.ok(!result.env.includes(CANARY), "the canary's value is not in process.env");
    assert.ok(!result.names.includes(CANARY_NAME), "no variable is named for the canary");
    assert.ok(!raw.includes(CANARY), "no process in the sandbox has it");
    assert.ok(result.names.includes("PATH"), "control: process.env holds the clean variables");
    assert.equal(result.home, "/tmp");
    const readable = result.environs.filter((e) => e.ok);
    assert.ok(readable.length >= 2, "control: the host's and Chromium's environ read");
    assert.ok(readable.some((e) => e.value?.includes("HOME=/tmp\0")));
  });

  it("cannot see the server's /proc: its own pid namespace", async () => {
    const serverPid = process.pid;
    const serverCmdline = readProc(String(serverPid), "cmdline");
    assert.ok(serverCmdline.length > 0, "control: the host reads the server's cmdline");
    const hostPids = readdirSync("/proc").filter((n) => /^\d+$/.test(n)).length;
    const { result } = await probe<{
      environ: Attempt;
      cmdline: Attempt;
      cmdlines: Record<string, Attempt>;
      self: Attempt;
      selfPid: number;
    }>(
      t.server,
      a,
      `const pids = fs.readdirSync("/proc").filter((n) => /^\\d+$/.test(n));
      ({
        environ: read("/proc/${serverPid}/environ"),
        cmdline: read("/proc/${serverPid}/cmdline"),
        cmdlines: Object.fromEntries(pids.map((pid) => [pid, read("/proc/" + pid + "/cmdline")])),
        self: read("/proc/self/cmdline"),
        selfPid: process.pid,
      })`,
    );
    const pids = Object.keys(result.cmdlines);
    if (!pids.includes(String(serverPid))) {
      assertRefused(result.environ, `reading /proc/${serverPid}/environ`);
      assertRefused(result.cmdline, `reading /proc/${serverPid}/cmdline`);
    }
    for (const [pid, cmdline] of Object.entries(result.cmdlines)) {
      assert.notEqual(cmdline.value, serverCmdline, `/proc/${pid} inside is not the server`);
      // Not even the sandbox's own command lines name where DATA_DIR is on the host.
      assert.ok(!cmdline.value?.includes(t.server.dataDir), `/proc/${pid} names DATA_DIR`);
    }
    assert.ok(pids.includes("1"), "pid 1 is the sandbox's own init");
    assert.ok(pids.length < 40 && pids.length < hostPids, `only a few pids: ${pids.length}`);
    assert.ok(result.self.value?.includes("session-host-main.ts"), "control: /proc/self reads");
    assert.ok(pids.includes(String(result.selfPid)), "control: its own pid is listed");
  });

  it("cannot see another session's files, though each sees its own", async () => {
    const secret = `secret-${randomUUID()}`;
    await probe(t.server, a, `fs.writeFileSync("/tmp/secret-A.txt", ${js(secret)});\n({})`);
    const onHost = path.join(a.hostDir, "tmp", "secret-A.txt");
    assert.equal(readFileSync(onHost, "utf8"), secret, "control: A's /tmp is this host folder");
    const needles = ["secret-A.txt", "skiff-session-", path.basename(t.server.dataDir)];
    const search = `${FIND_NAMES}
      ({
        direct: read("/tmp/secret-A.txt"),
        viaHost: read(${js(onHost)}),
        found: findNames(${js(needles)}),
      })`;
    type Search = { direct: Attempt; viaHost: Attempt; found: string[] };
    const fromB = await probe<Search>(t.server, b, search);
    assertRefused(fromB.result.direct, "B reading /tmp/secret-A.txt");
    assertRefused(fromB.result.viaHost, "B reading A's file at its host path");
    assert.deepEqual(fromB.result.found, [], "B finds nothing of A's or the server's folders");
    assert.ok(!fromB.raw.includes(secret));
    const fromA = await probe<Search>(t.server, a, search);
    assert.deepEqual(fromA.result.direct, { ok: true, value: secret }, "A's /tmp persists");
    assert.deepEqual(fromA.result.found, ["/tmp/secret-A.txt"], "control: the search finds it");
  });

  it("survives a neighbour whose host was killed from inside", async () => {
    const pidFile = (s: Session) => readFileSync(path.join(s.hostDir, "host.pid"), "utf8");
    const [hostA, hostB] = [pidFile(a), pidFile(b)];
    const [chromiumA, chromiumB] = [chromiumPids(a.hostDir), chromiumPids(b.hostDir)];
    assert.ok(chromiumA.length > 0 && chromiumB.length > 0, "each session runs its Chromium");

    const killed = await interact(t.server, a, `process.kill(process.pid, "SIGKILL")`);
    assert.equal(killed.status, 200);
    assert.equal(killed.body.success, false);
    assert.equal(killed.body.error, HOST_EXITED_DURING_CALL);
    assert.equal(killed.body.exitCode, 1);
    assert.equal(killed.body.killed, false);
    await waitUntil(() => !isRunning(hostA), "A's sandbox exits");
    await waitUntil(() => chromiumA.every((pid) => !isRunning(pid)), "A's Chromium is gone");
    await waitUntil(() => !existsSync(a.hostDir), "A's session directory is removed");
    const endedLine = () => serverWarnings().find((l) => l.msg === "interact session ended");
    await waitUntil(() => endedLine() !== undefined, "the server warns that A's session ended");
    const ended = endedLine();
    assert.equal(ended?.reason, "crashed");
    assert.equal(ended?.cause, "the session host closed its channel (it exited)");

    const again = await interact(t.server, a, "page.url()");
    assert.equal(again.status, 410);
    assert.equal(again.body.success, false);
    assert.equal(again.body.error, "Browser session has been destroyed.");

    assert.ok(isRunning(hostB), "B's sandbox still runs");
    assert.ok(chromiumB.every(isRunning), "B's Chromium still runs");
    const stillB = await interact(t.server, b, "page.url()");
    assert.equal(stillB.status, 200);
    assert.equal(stillB.body.success, true, stillB.body.error);
    assert.equal(stillB.body.result, b.url);
  });
});
