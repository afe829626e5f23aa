import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { describe, it } from "node:test";
import { createLogger } from "../log.ts";
import type { NodeRuntime } from "./node-runtime.ts";
import { PythonRuntime } from "./python-runtime.ts";

describe("PythonRuntime without python3", () => {
  it("answers exit code 127 with a message saying what is missing", async () => {
    const runtime = new PythonRuntime({
      node: {} as NodeRuntime,
      tmpDir: tmpdir(),
      logger: createLogger("silent"),
      python: "/nonexistent/python3",
    });
    const reply = await runtime.run("print(1)", { timeoutMs: 5000 });
    assert.equal(reply.exitCode, 127);
    assert.equal(reply.killed, false);
    assert.match(reply.stderr, /python3 is not installed on this server/);
    assert.equal(reply.error, reply.stderr);
  });
});
