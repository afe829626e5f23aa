import assert from "node:assert/strict";
import { tmpdir } from "node:os";
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
