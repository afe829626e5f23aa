// Loaded into every test file (`--import` in scripts/run-tests.ts): after a test that failed, what
// the servers this process started warned about while it ran (why a session ended, say, where the
// test only sees that it did). A failure on CI then explains itself.
import { afterEach } from "node:test";
import { takeServerWarnings } from "./server-warnings.ts";

afterEach((t) => {
  const lines = takeServerWarnings();
  const failed = "passed" in t && t.passed === false;
  if (failed && lines.length > 0) {
    process.stderr.write(`── the server's warnings during "${t.fullName}":\n${lines.join("")}`);
  }
});
