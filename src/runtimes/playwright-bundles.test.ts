import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { PLAYWRIGHT_BUNDLES } from "./playwright-bundles.ts";

const MODULE = path.join(import.meta.dirname, "playwright-bundles.ts");

/** Runs `body` in a fresh Node (its own require cache) and returns what it printed as JSON. */
function inFreshNode<T>(body: string): T {
  const script = `import { createRequire } from "node:module";
import { loadPlaywrightBundles } from ${JSON.stringify(MODULE)};
const require = createRequire(${JSON.stringify(MODULE)});
${body}`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as T;
}

interface Outcome {
  fromCache: string[];
  rejected: string[];
  launcher: string;
  loaded: boolean[];
}

/** Loads the bundles from `dir`, then Playwright as the worker imports it. */
const LOAD_FROM = (dir: string) => `
const { fromCache, rejected } = loadPlaywrightBundles({ cacheDir: ${JSON.stringify(dir)} });
const playwright = require("playwright-core");
console.log(JSON.stringify({
  fromCache,
  rejected,
  launcher: playwright.chromium.name(),
  loaded: ${JSON.stringify(PLAYWRIGHT_BUNDLES)}.map((file) => require.cache[file]?.loaded === true),
}));`;

describe("Playwright's bundles from a code cache", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "skiff-bundles-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("fills a cache from a load, which a fresh process then runs Playwright from", () => {
    const filled = inFreshNode<{ rejected: string[] }>(`
const loaded = loadPlaywrightBundles();
require("playwright-core");
loaded.save(${JSON.stringify(dir)});
console.log(JSON.stringify({ rejected: loaded.rejected }));`);
    assert.deepEqual(filled.rejected, [], "a fill starts from no cache, so nothing to refuse");
    assert.equal(readdirSync(dir).length, PLAYWRIGHT_BUNDLES.length);

    const outcome = inFreshNode<Outcome>(LOAD_FROM(dir));
    assert.deepEqual(outcome.fromCache, PLAYWRIGHT_BUNDLES, "V8 takes the cached code");
    assert.deepEqual(outcome.rejected, []);
    assert.equal(outcome.launcher, "chromium", "playwright-core works on the loaded bundles");
    assert.deepEqual(outcome.loaded, [true, true], "both sit loaded in the require cache");
  });

  it("says which bundle's cached code V8 refused, and still loads it from source", () => {
    const broken = mkdtempSync(path.join(dir, "broken-"));
    const filled = inFreshNode<{ ok: boolean }>(`
const loaded = loadPlaywrightBundles();
loaded.save(${JSON.stringify(broken)});
console.log(JSON.stringify({ ok: true }));`);
    assert.ok(filled.ok);
    const core = PLAYWRIGHT_BUNDLES[1]!;
    writeFileSync(path.join(broken, `${path.basename(core)}.v8cache`), "not a code cache");
    const outcome = inFreshNode<Outcome>(LOAD_FROM(broken));
    assert.deepEqual(outcome.rejected, [core]);
    assert.deepEqual(outcome.fromCache, [PLAYWRIGHT_BUNDLES[0]]);
    assert.equal(outcome.launcher, "chromium");
  });

  it("refuses to run once Playwright has loaded its bundles itself", () => {
    const outcome = inFreshNode<{ error: string }>(`
require("playwright-core");
let error = "";
try { loadPlaywrightBundles(); } catch (err) { error = err.message; }
console.log(JSON.stringify({ error }));`);
    assert.match(outcome.error, /utilsBundle\.js is loaded already/);
  });
});
