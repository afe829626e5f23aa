// Runs every check the project has: formatting, lint (type-aware), types, then all tests.
// `./skiff test --only-tests` skips the static checks; extra arguments go to `node --test`.
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
const args = process.argv.slice(2);
const onlyTests = args.includes("--only-tests");
const testArgs = args.filter((a) => a !== "--only-tests");

function run(label: string, command: string, commandArgs: string[]): void {
  const started = Date.now();
  process.stdout.write(`\n── ${label}\n`);
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: "inherit" });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    process.stdout.write(`── ${label}: FAILED after ${seconds}s\n`);
    process.exit(result.status ?? 1);
  }
  process.stdout.write(`── ${label}: ok (${seconds}s)\n`);
}

if (!onlyTests) {
  run("format (prettier --check)", bin("prettier"), ["--check", "--log-level=warn", "."]);
  run("types (tsc --noEmit)", bin("tsc"), ["--noEmit", "-p", "."]);
  run("lint (eslint)", bin("eslint"), ["--max-warnings=0", "."]);
}
/** A folder means the tests under it; `node --test` would try to load it as a module. */
const asTestFiles = (arg: string) =>
  statSync(path.resolve(root, arg), { throwIfNoEntry: false })?.isDirectory()
    ? `${arg.replace(/\/+$/, "")}/**/*.test.ts`
    : arg;
const files =
  testArgs.length > 0 ? testArgs.map(asTestFiles) : ["src/**/*.test.ts", "test/**/*.test.ts"];
run("tests (node --test)", process.execPath, [
  "--test",
  "--test-reporter=spec",
  "--test-timeout=180000",
  // Every test file: a failed test prints what its servers warned about meanwhile.
  "--import",
  path.join(root, "test/helpers/print-server-warnings.ts"),
  ...files,
]);
