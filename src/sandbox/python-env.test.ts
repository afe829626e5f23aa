import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, it } from "node:test";
import { playwrightPython } from "./python-env.ts";

const coreVersion = (
  createRequire(import.meta.url)("playwright-core/package.json") as { version: string }
).version;

/** A fake venv: bin/python, pyvenv.cfg, and optionally a playwright dist-info folder. */
function fakeEnv(options: { home: string; playwright?: string }): string {
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-venv-"));
  mkdirSync(path.join(dir, "bin"));
  writeFileSync(path.join(dir, "bin", "python"), "");
  writeFileSync(path.join(dir, "pyvenv.cfg"), `home = ${options.home}\nversion = 3.11.2\n`);
  const sitePackages = path.join(dir, "lib", "python3.11", "site-packages");
  mkdirSync(sitePackages, { recursive: true });
  if (options.playwright) {
    mkdirSync(path.join(sitePackages, `playwright-${options.playwright}.dist-info`));
  }
  made.push(dir);
  return dir;
}
const made: string[] = [];
afterEach(() => made.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe("playwrightPython", () => {
  it("names a missing virtual environment", () => {
    const env = playwrightPython(path.join(tmpdir(), "skiff-no-such-venv"));
    assert.deepEqual(env, {
      problem:
        "Python's virtual environment is missing (./skiff setup installs it into .skiff/python from PyPI)",
    });
  });

  it("names a missing Playwright for Python, and one at another version than playwright-core", () => {
    const missing = playwrightPython(fakeEnv({ home: "/usr/bin" }));
    assert.ok("problem" in missing);
    assert.match(missing.problem, /^Playwright for Python is not installed/);
    const old = playwrightPython(fakeEnv({ home: "/usr/bin", playwright: "1.40.0" }));
    assert.ok("problem" in old);
    assert.match(
      old.problem,
      new RegExp(`is 1\\.40\\.0, but Skiff's playwright-core is ${coreVersion}`),
    );
  });

  it("gives the venv's python and binds the base installation only when it is outside /usr", () => {
    const debian = fakeEnv({ home: "/usr/bin", playwright: coreVersion });
    assert.deepEqual(playwrightPython(debian), {
      path: path.join(debian, "bin", "python"),
      binds: [debian],
    });
    const pyenv = fakeEnv({ home: "/root/.pyenv/versions/3.11.7/bin", playwright: coreVersion });
    assert.deepEqual(playwrightPython(pyenv), {
      path: path.join(pyenv, "bin", "python"),
      binds: [pyenv, "/root/.pyenv/versions/3.11.7"],
    });
  });
});
