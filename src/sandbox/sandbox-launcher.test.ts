import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  startEchoHost,
  stopEchoHost,
  type EchoHost,
} from "../../test/fixtures/sandbox/start-echo-host.ts";
import { detectSandboxMode, sessionDirs, type SandboxMode } from "./sandbox-launcher.ts";

const skip = existsSync("/usr/bin/bwrap") ? false : "bubblewrap (/usr/bin/bwrap) is not installed";
const MARKER = "SKIFF_SANDBOX_TEST_MARKER";
/** bwrap sets PWD itself; everything else is the launcher's clean environment. */
const ALLOWED_ENV = ["HOME", "LANG", "PATH", "PWD", "TMPDIR"];

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => assert.fail("expected a rejection"),
    (err: Error) => err,
  );
}

function envCheck(env: Record<string, string>, tmp: string): void {
  assert.equal(env[MARKER], undefined, "the server's environment leaked into the host");
  for (const key of Object.keys(env)) assert.ok(ALLOWED_ENV.includes(key), `unexpected ${key}`);
  assert.equal(env.TMPDIR, tmp);
  assert.equal(env.HOME, tmp);
}

for (const mode of ["bwrap", "none"] as SandboxMode[]) {
  describe(`sandbox launcher, mode ${mode}`, { skip: mode === "bwrap" && skip }, () => {
    let host: EchoHost;
    before(async () => {
      process.env[MARKER] = "secret-from-the-server";
      host = await startEchoHost(mode);
    });
    after(async () => {
      delete process.env[MARKER];
      await stopEchoHost(host);
    });

    it("runs the host and answers over the channel", async (t) => {
      t.diagnostic(`launch to first answered request: ${host.startMs.toFixed(0)} ms`);
      assert.deepEqual(await host.channel.request("echo", { a: [1, "two"] }), { a: [1, "two"] });
    });

    it("gives the host a clean environment with none of the server's variables", async () => {
      const env = await host.channel.request<Record<string, string>>("env", null);
      const tmp = mode === "bwrap" ? "/tmp" : sessionDirs(host.proc.workDir).tmp;
      envCheck(env, tmp);
      assert.equal(env.PATH, "/usr/local/bin:/usr/bin:/bin");
    });

    it("keeps the host's /tmp in its own session directory", async () => {
      const tmp = mode === "bwrap" ? "/tmp" : sessionDirs(host.proc.workDir).tmp;
      await host.channel.request("writeFile", { path: `${tmp}/note.txt`, text: "from inside" });
      const onHost = path.join(sessionDirs(host.proc.workDir).tmp, "note.txt");
      assert.equal(readFileSync(onHost, "utf8"), "from inside");
    });

    it("removes its session directory when the host is stopped", async () => {
      await stopEchoHost(host);
      assert.ok(!existsSync(host.proc.workDir), "the session directory outlived the host");
    });
  });
}

describe("sandbox launcher, isolation under bubblewrap", { skip }, () => {
  let a: EchoHost;
  let b: EchoHost;
  let dataDir: string;
  before(async () => {
    process.env[MARKER] = "secret-from-the-server";
    dataDir = mkdtempSync(path.join(os.tmpdir(), "skiff-data-"));
    writeFileSync(path.join(dataDir, "skiff.db"), "the server's database");
    [a, b] = await Promise.all([startEchoHost("bwrap"), startEchoHost("bwrap")]);
  });
  after(async () => {
    delete process.env[MARKER];
    rmSync(dataDir, { recursive: true, force: true });
    await Promise.all([stopEchoHost(a), stopEchoHost(b)]);
  });

  it("can read what it was given but not a file in the server's DATA_DIR", async () => {
    const own = await a.channel.request<string>("readFile", { path: import.meta.filename });
    assert.match(own, /isolation under bubblewrap/, "control: a bound source file is readable");
    const err = await rejection(
      a.channel.request("readFile", { path: path.join(dataDir, "skiff.db") }),
    );
    assert.match(err.message, /ENOENT/);
    // The system, plus the top folders of wherever this checkout and its Node binary live.
    const topOf = (p: string) => path.resolve(p).split(path.sep)[1] ?? "";
    const mounted = [topOf(import.meta.dirname), topOf(process.execPath)];
    const system = ["bin", "dev", "etc", "lib", "lib64", "proc", "run", "sbin", "tmp", "usr"];
    assert.deepEqual(
      await a.channel.request("listDir", { path: "/" }),
      [...new Set([...system, ...mounted])].sort(),
    );
    await rejection(a.channel.request("readFile", { path: "/etc/shadow" }));
    // Of the project, only code (and the Node binary under .skiff/): not ./data, .env or .git.
    const project = path.resolve(import.meta.dirname, "../..");
    assert.ok(existsSync(path.join(project, ".git")), "control: the host has more than code");
    const visible = await a.channel.request<string[]>("listDir", { path: project });
    const code = [".skiff", "node_modules", "package.json", "src", "test"];
    for (const name of visible) assert.ok(code.includes(name), `${name} is visible`);
    assert.ok(visible.includes("src"));
  });

  it("sees only its own processes in /proc", async () => {
    const pids = await a.channel.request<string[]>("listProc", null);
    const ownPid = await a.channel.request<number>("pid", null);
    assert.ok(!pids.includes(String(process.pid)), "the test process is visible");
    assert.ok(pids.includes(String(ownPid)));
    assert.ok(pids.length <= 3, `expected bwrap's init and the host only, got ${pids.join(",")}`);
  });

  it("cannot see another session's directory", async () => {
    await b.channel.request("writeFile", { path: "/tmp/b-secret.txt", text: "b only" });
    assert.ok(existsSync(path.join(sessionDirs(b.proc.workDir).tmp, "b-secret.txt")));
    assert.ok(
      !(await a.channel.request<string[]>("listDir", { path: "/tmp" })).includes("b-secret.txt"),
    );
    const err = await rejection(
      a.channel.request("readFile", { path: path.join(b.proc.workDir, "tmp", "b-secret.txt") }),
    );
    assert.match(err.message, /ENOENT/);
  });

  it("has no network but loopback", async () => {
    assert.deepEqual(await a.channel.request("netInterfaces", null), ["lo"]);
  });
});

describe("sandbox launcher, lifecycle under bubblewrap", { skip }, () => {
  it("removes the session directory, /tmp included, after the host exits", async (t) => {
    const host = await startEchoHost("bwrap");
    t.after(() => stopEchoHost(host));
    await host.channel.request("writeFile", { path: "/tmp/x.txt", text: "x" });
    assert.ok(existsSync(path.join(sessionDirs(host.proc.workDir).tmp, "x.txt")));
    await stopEchoHost(host);
    assert.ok(!existsSync(host.proc.workDir), "the session directory outlived the host");
  });

  it("a crashed host does not disturb another running host", async (t) => {
    const [crashing, steady] = await Promise.all([startEchoHost("bwrap"), startEchoHost("bwrap")]);
    t.after(() => Promise.all([stopEchoHost(crashing), stopEchoHost(steady)]));
    const err = await rejection(crashing.channel.request("crash", null));
    assert.match(err.message, /closed its channel/);
    assert.deepEqual(await crashing.proc.exited, { code: 3, signal: null });
    assert.equal(await steady.channel.request("echo", "still here"), "still here");
    assert.ok(!existsSync(crashing.proc.workDir), "the crashed host's directory was left behind");
  });

  it("detectSandboxMode picks bubblewrap here and honours an explicit none", async () => {
    assert.equal(await detectSandboxMode("auto"), "bwrap");
    assert.equal(await detectSandboxMode("bwrap"), "bwrap");
    assert.equal(await detectSandboxMode("none"), "none");
  });
});
