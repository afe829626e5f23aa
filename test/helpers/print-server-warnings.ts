// Loaded into every test file (`--import` in scripts/run-tests.ts): after a test that failed, what
// the servers this process started warned about while it ran (why a session ended, say, where the
// test only sees that it did). A failure on CI then explains itself.
//
// Worker threads inherit `--import` too, and the ones the tests start are Skiff's own (the node
// runtime's): there it loads nothing more, since node:test's hooks would take over their handlers
// of uncaught errors and rejections.
import { isMainThread } from "node:worker_threads";

if (isMainThread) {
  const { afterEach } = await import("node:test");
  const { takeServerWarnings } = await import("./server-warnings.ts");
  afterEach((t) => {
    const lines = takeServerWarnings();
    const failed = "passed" in t && t.passed === false;
    if (failed && lines.length > 0) {
      process.stderr.write(`── the server's warnings during "${t.fullName}":\n${lines.join("")}`);
    }
  });
}
