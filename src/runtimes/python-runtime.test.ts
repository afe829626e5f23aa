import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { createLogger } from "../log.ts";
import type { NodeRuntime } from "./node-runtime.ts";
import { PythonRuntime } from "./python-runtime.ts";

describe("PythonRuntime without Playwright for Python", () => {
  it("answers each call with an error that names what is missing", async () => {
    const problem = "Playwright for Python is not installed (./skiff setup installs it)";
    const runtime = new PythonRuntime({
      python: { problem },
      node: {} as NodeRuntime,
      cdpEndpoint: "ws://127.0.0.1:9/devtools/browser/x",
      tmpDir: tmpdir(),
      logger: createLogger("silent"),
    });
    const reply = await runtime.run("print(1)", { timeoutMs: 5000 });
    assert.equal(reply.exitCode, 1);
    assert.equal(reply.killed, false);
    assert.equal(reply.stderr, problem);
    assert.equal(reply.error, problem);
  });
});

describe("PythonRuntime whose interpreter cannot start in time", () => {
  it(
    "answers within the call's timeout, which counts the wait for the interpreter",
    { timeout: 10_000 },
    async () => {
      const runtime = new PythonRuntime({
        python: { path: "/nonexistent/python" },
        // The worker serving Playwright's driver never comes: the interpreter's start waits on it.
        node: { driverAddress: () => new Promise<string>(() => {}) } as unknown as NodeRuntime,
        cdpEndpoint: "ws://127.0.0.1:9/devtools/browser/x",
        tmpDir: tmpdir(),
        logger: createLogger("silent"),
      });
      const started = performance.now();
      const reply = await runtime.run("print(1)", { timeoutMs: 300 });
      assert.ok(performance.now() - started < 2000, "answered at the call's timeout");
      assert.deepEqual([reply.exitCode, reply.killed], [1, false]);
      assert.equal(reply.error, "Playwright for Python did not start within the call's 300 ms");
    },
  );
});

describe("PythonRuntime whose interpreter starts after a call gave up on it", () => {
  it("does not run that call's code once it is up; the next call's runs", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "skiff-python-"));
    // Stands in for Python and the runner: ready on fd 3 after 0.5 s, then answers each call,
    // noting every call it ran in $TMPDIR/ran.
    const fake = path.join(dir, "python");
    writeFileSync(
      fake,
      `#!/bin/bash
sleep 0.5
echo '{"ready":true}' >&3
while read -r line <&3; do
  echo "$line" >> "$TMPDIR/ran"
  id=$(sed 's/^{"id":\\([0-9]*\\).*/\\1/' <<< "$line")
  printf '{"id":%s,"result":"ran","failed":false}\n' "$id" >&3
done
`,
      { mode: 0o755 },
    );
    const runtime = new PythonRuntime({
      python: { path: fake },
      node: { driverAddress: () => Promise.resolve("@driver") } as unknown as NodeRuntime,
      cdpEndpoint: "ws://127.0.0.1:9/devtools/browser/x",
      tmpDir: dir,
      logger: createLogger("silent"),
    });
    try {
      const early = await runtime.run("first = 1", { timeoutMs: 100 });
      assert.equal(early.error, "Playwright for Python did not start within the call's 100 ms");
      const next = await runtime.run("second = 2", { timeoutMs: 5000 });
      assert.equal(next.result, "ran", next.stderr);
      const ran = readFileSync(path.join(dir, "ran"), "utf8").trim().split("\n");
      assert.deepEqual(
        ran.map((line) => (JSON.parse(line) as { code: string }).code),
        ["second = 2"],
      );
    } finally {
      runtime.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
