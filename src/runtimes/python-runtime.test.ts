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
