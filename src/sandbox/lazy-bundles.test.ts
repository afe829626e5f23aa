import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import vm from "node:vm";
import { Worker } from "node:worker_threads";
import { PLAYWRIGHT_BUNDLES } from "../runtimes/playwright-bundles.ts";
import { deferCoreParts, deferUtilityPackages, type Edited } from "./lazy-bundles.ts";

const HELPERS = `"use strict";
var __export = (target, all) => {
  for (var name in all) Object.defineProperty(target, name, { get: all[name], enumerable: true });
};`;

/** A small bundle shaped as esbuild writes Playwright's utilities bundle. */
function utilities(deferredCode: string, otherCode = "") {
  return `${HELPERS}

// packages/playwright-core/src/utilsBundle.ts
var utilsBundle_exports = {};
__export(utilsBundle_exports, {
  colors: () => colors,
  z: () => z
});
module.exports = utilsBundle_exports;

// node_modules/colors/safe.js
var colors = { red: (s) => "<" + s + ">" };
${otherCode}

// node_modules/zod/v4/core.js
${deferredCode}

// packages/playwright-core/src/utilsBundle.ts
0 && (module.exports = { colors, z });
`;
}

/** Runs `source` as a CommonJS module in a fresh context; its exports and that context. */
function load(source: string) {
  const context = vm.createContext({ runs: 0 });
  const module = { exports: {} as Record<string, any> };
  vm.runInContext(`(function (module, exports) {${source}\n})`, context)(module, module.exports);
  return { exports: module.exports, context };
}

function edited(result: Edited): string {
  if ("problem" in result) assert.fail(result.problem);
  return result.source;
}

describe("lazy copies of Playwright's bundles", () => {
  const zod = `
var double = (n) => n * 2, unused;
var z = make(2);
globalThis.runs++;
function make(n) { return { n, doubled: double(n) }; }`;

  it("run the deferred packages' code on the first read of an export, once", () => {
    const control = load(utilities(zod));
    assert.equal(control.context.runs, 1, "control: the bundle runs it at load");
    const { exports, context } = load(edited(deferUtilityPackages(utilities(zod))));
    assert.equal(exports.colors.red("x"), "<x>");
    assert.equal(context.runs, 0, "not at load, nor for another export");
    assert.deepEqual({ ...exports.z }, { n: 2, doubled: 4 });
    assert.equal(exports.z, exports.z);
    assert.equal(context.runs, 1, "once");
  });

  it("fail every read the same way when the deferred code throws, as a failed load would", () => {
    const throwing = `var z = (() => { globalThis.runs++; throw new Error("boom"); })();`;
    const { exports, context } = load(edited(deferUtilityPackages(utilities(throwing))));
    assert.throws(() => exports.z, /boom/);
    assert.throws(() => exports.z, /boom/);
    assert.equal(context.runs, 1);
  });

  it("leave a bundle whose other code reads a deferred name, or that they read too early", () => {
    const read = deferUtilityPackages(utilities(zod, "var early = () => double(1);"));
    assert.deepEqual(read, {
      problem: "double is read outside its package (node_modules/colors/safe.js)",
    });
    const late = utilities(`var z = later;`).replace("0 && (", "var later = 1;\n0 && (");
    assert.deepEqual(deferUtilityPackages(late), {
      problem: "later is declared after node_modules/zod/v4/core.js reads it",
    });
    assert.ok("problem" in deferUtilityPackages(`${HELPERS}\nvar plain = 1;`));
  });

  const PARTS = ["libCli", "libCliTestStub", "remote", "tools"];
  const part = (name: string) => `
var ${name}_exports = {};
__export(${name}_exports, { run: () => run_${name} });
var run_${name};
var init_${name}2 = __esm({
  "packages/${name}.ts"() { globalThis.runs++; run_${name} = () => "${name} ran"; }
});`;
  const core = `${HELPERS}
var __esm = (fn, res) => function __init() {
  return fn && (res = (0, fn[Object.keys(fn)[0]])(fn = 0)), res;
};
${PARTS.map(part).join("\n")}
var server_exports = {};
var init_server = __esm({ "packages/server.ts"() { globalThis.servers = 1; } });

// packages/playwright-core/src/coreBundle.ts
var coreBundle_exports = {};
__export(coreBundle_exports, {
${PARTS.map((name) => `  ${name}: () => ${name}_exports,`).join("\n")}
  server: () => server_exports
});
module.exports = coreBundle_exports;
var init_coreBundle = __esm({
  "packages/playwright-core/src/coreBundle.ts"() {
    init_server();
${PARTS.map((name) => `    init_${name}2();`).join("\n")}
  }
});
init_coreBundle();
`;

  it("initialise the core bundle's unused parts when their export is first read", () => {
    const control = load(core);
    assert.equal(control.context.runs, 4, "control: the entry initialises every part");
    const { exports, context } = load(edited(deferCoreParts(core)));
    assert.equal(context.servers, 1, "the parts a session uses run at load");
    assert.equal(context.runs, 0);
    assert.equal(exports.tools.run(), "tools ran");
    assert.equal(exports.tools.run(), "tools ran");
    assert.equal(context.runs, 1, "only the part read, once");
    assert.deepEqual(deferCoreParts(core.replace("    init_tools2();\n", "")), {
      problem: "no part for tools",
    });
  });

  it("apply to the installed Playwright: it loads without its MCP code, then with it", async () => {
    const [utils, coreBundle] = PLAYWRIGHT_BUNDLES.map((b) => readFileSync(b, "utf8")) as [
      string,
      string,
    ];
    const original = await loadInThread({});
    assert.equal(original.zodAtLoad, true, "control: the bundles as installed run zod at load");
    const result = await loadInThread({
      [PLAYWRIGHT_BUNDLES[0]!]: edited(deferUtilityPackages(utils)),
      [PLAYWRIGHT_BUNDLES[1]!]: edited(deferCoreParts(coreBundle)),
    });
    assert.deepEqual(result, {
      zodAtLoad: false,
      chromium: "function",
      later: [true, true, true],
      zodLater: true,
    });
  });
});

/** Loads Playwright's bundles in a thread of its own (each has its own CommonJS modules). */
async function loadInThread(sources: Record<string, string>): Promise<Record<string, unknown>> {
  const bundles = new URL("../runtimes/playwright-bundles.ts", import.meta.url).pathname;
  const script = `
    const { readFileSync } = require("node:fs");
    const { workerData, parentPort } = require("node:worker_threads");
    const { loadPlaywrightBundles } = require(${JSON.stringify(bundles)});
    loadPlaywrightBundles({ read: (bundle) => workerData[bundle] ?? readFileSync(bundle, "utf8") });
    const zodAtLoad = "__zod_globalConfig" in globalThis;
    const core = require(${JSON.stringify(PLAYWRIGHT_BUNDLES[1])});
    const { chromium } = require("playwright-core");
    const later = ["libCli", "remote", "tools"].map((name) => Object.keys(core[name]).length > 0);
    parentPort.postMessage({ zodAtLoad, chromium: typeof chromium.connectOverCDP, later,
      zodLater: "__zod_globalConfig" in globalThis });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { eval: true, workerData: sources });
    worker.once("message", resolve).once("error", reject);
  });
}
