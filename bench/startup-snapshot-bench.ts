// A road measured and not taken (README, "Interact"): a Node started from a V8 startup snapshot
// with Playwright's bundles already loaded, against loading them from the code cache sessions use,
// in a process's own thread and in a worker thread (as a session host does). Run alone:
// `./skiff node bench/startup-snapshot-bench.ts`. Each side connects to a running Chromium over
// CDP, loads a page and reads its title, then reports its times (a process from its start, a
// worker from its creation), its process's CPU since then and, after a pause, its process's
// memory. All read the bundles as sandboxes see them (sandbox-bundles.ts).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { loadConfig } from "../src/config.ts";
import { launchCdpChromium } from "../src/runtimes/cdp-chromium.ts";
import { PLAYWRIGHT_BUNDLES } from "../src/runtimes/playwright-bundles.ts";
import { writeSandboxBundles } from "../src/sandbox/sandbox-bundles.ts";
import { fmt, percentile } from "./stats.ts";

const run = promisify(execFile);
const ROUNDS = 5;
/** Node's user snapshots refuse these modules' native state; the bundles get stand-ins. */
const DEFERRED_MODULES = ["http", "https", "http2", "tls", "inspector", "dns"];

type Constructor = (new (...args: unknown[]) => object) & { prototype: object };

interface Reading {
  /** To Playwright in hand, then to the title read. */
  readyMs: number;
  doneMs: number;
  /** The process's CPU (every thread) at the title. */
  cpuMs: number;
  anonKb: number;
  pssKb: number;
}

/**
 * What each side does once Playwright is loaded (a bare Node passes none); sent to each as source
 * text, so it is self-contained. It prints one Reading as JSON.
 */
async function measure(playwright: typeof import("playwright-core") | undefined, endpoint: string) {
  // A process counts from its start, a worker thread from its creation (its own time origin).
  const threads = process.getBuiltinModule("node:worker_threads");
  const now = () => (threads.isMainThread ? process.uptime() * 1000 : performance.now());
  const readyMs = now();
  if (playwright) {
    const browser = await playwright.chromium.connectOverCDP(endpoint);
    const context = browser.contexts()[0]!;
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto("data:text/html,<title>probe</title>");
    if ((await page.title()) !== "probe") throw new Error("wrong title");
  }
  const doneMs = now();
  // A worker's creator passes its CPU at the creation.
  const cpu = process.cpuUsage(threads.workerData as NodeJS.CpuUsage | undefined);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const fs = process.getBuiltinModule("node:fs");
  const rollup = fs.readFileSync("/proc/self/smaps_rollup", "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(rollup)![1]);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(JSON.stringify({ readyMs, doneMs, cpuMs, anonKb: kb("Pss_Anon"), pssKb: kb("Pss") }));
  process.exit(0);
}

/**
 * The snapshot's entry, run by `node --build-snapshot` (a CommonJS script that may require only
 * Node's own modules): it runs the bundles into Node's module cache as `require` would, handing
 * them stand-ins for DEFERRED_MODULES that load the real module on first use after the start
 * (and a stand-in class for `http.Agent`, which a class of theirs extends as it loads).
 */
function snapshotEntry(
  builtin: NodeJS.Require,
  order: { files: Record<string, string>; entry: string; deferred: string[]; keys: object },
  main: (playwright: unknown, endpoint: string) => Promise<void>,
) {
  const fs = builtin("node:fs") as typeof import("node:fs");
  const path = builtin("node:path") as typeof import("node:path");
  const vm = builtin("node:vm") as typeof import("node:vm");
  const v8 = builtin("node:v8") as typeof import("node:v8");
  const { Module } = builtin("node:module") as {
    Module: (new (id: string) => NodeJS.Module) & {
      _cache: Record<string, NodeJS.Module>;
      wrap(source: string): string;
    };
  };
  const cache = Module._cache;
  const keys = order.keys as Record<string, string[]>;
  let building = true;
  const classes: [Constructor, string, string][] = [];
  const standIns: Record<string, object> = {};
  const standIn = (name: string) => {
    let real: Record<string | symbol, unknown> | undefined;
    const load = () => (real ??= builtin(name) as Record<string | symbol, unknown>);
    return new Proxy(
      {},
      {
        get(_, key) {
          if (real || !building) return load()[key];
          if (key === "__esModule") return undefined;
          if (key !== "Agent") throw new Error(`${name}.${String(key)} read while building`);
          const Class = function (this: unknown, ...args: unknown[]) {
            return Reflect.construct(load()[key] as Constructor, args, new.target) as object;
          } as unknown as Constructor;
          classes.push([Class, name, key]);
          return Class;
        },
        has: (_, key) => key in load(),
        ownKeys: () => (real ? Reflect.ownKeys(real) : keys[name]!),
        getOwnPropertyDescriptor(_, key) {
          if (!real && building) return { configurable: true, enumerable: true, value: undefined };
          const descriptor = Object.getOwnPropertyDescriptor(load(), key);
          return descriptor && { ...descriptor, configurable: true };
        },
      },
    );
  };
  const load = (file: string): unknown => {
    if (cache[file]) return cache[file].exports;
    const module = new Module(file);
    module.filename = file;
    cache[file] = module;
    const source = fs.readFileSync(order.files[file] ?? file, "utf8");
    if (file.endsWith(".json")) module.exports = JSON.parse(source) as unknown;
    else {
      const wrap = Module.wrap(source);
      const wrapper = vm.runInThisContext(wrap, { filename: file }) as (...args: unknown[]) => void;
      const require = (specifier: string) => {
        const name = specifier.replace(/^node:/, "");
        if (specifier.startsWith(".") || specifier.startsWith("/")) {
          const target = path.resolve(path.dirname(file), specifier);
          return load(/\.js(on)?$/.test(target) ? target : `${target}.js`);
        }
        if (order.deferred.includes(name)) return (standIns[name] ??= standIn(name));
        return builtin(name) as unknown;
      };
      wrapper.call(module.exports, module.exports, require, module, file, path.dirname(file));
    }
    module.loaded = true;
    return module.exports;
  };
  const playwright = load(order.entry);
  building = false;
  v8.startupSnapshot.setDeserializeMainFunction(() => {
    for (const [Class, name, key] of classes) {
      const Real = (builtin(name) as Record<string, Constructor>)[key]!;
      Object.setPrototypeOf(Class.prototype, Real.prototype);
      Object.setPrototypeOf(Class, Real);
    }
    void main(playwright, process.env.CDP_ENDPOINT!);
  });
}

/**
 * Writes the script the code-cache sides run: `fill` makes the cache as the server does, `worker`
 * starts a worker thread that loads from it (as a session host does), anything else loads from it
 * in the process's own thread.
 */
function writeCodeCacheScript(dir: string, files: Record<string, string>): string {
  const script = path.join(dir, "code-cache.ts");
  const bundles = new URL("../src/runtimes/playwright-bundles.ts", import.meta.url).href;
  writeFileSync(
    script,
    `import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { loadPlaywrightBundles } from ${JSON.stringify(bundles)};
const files = ${JSON.stringify(files)};
const read = (bundle) => readFileSync(files[bundle] ?? bundle, "utf8");
const [mode] = process.argv.slice(2);
if (mode === "fill") loadPlaywrightBundles({ read }).save(${JSON.stringify(dir)});
else if (mode === "worker") {
  new Worker(new URL(import.meta.url), { argv: ["load"], workerData: process.cpuUsage() });
} else {
  loadPlaywrightBundles({ read, cacheDir: ${JSON.stringify(dir)} });
  const playwright = createRequire(${JSON.stringify(bundles)})("playwright-core");
  await (${measure.toString()})(playwright, process.env.CDP_ENDPOINT);
}
`,
  );
  return script;
}

/** Builds the snapshot of a Node with Playwright loaded from `files` (snapshotEntry). */
async function buildSnapshot(dir: string, files: Record<string, string>): Promise<string> {
  // What the stand-ins list as their keys while building: this process may load the modules.
  const keys = Object.fromEntries(
    DEFERRED_MODULES.map((name) => [
      name,
      Object.getOwnPropertyNames(process.getBuiltinModule(`node:${name}`)),
    ]),
  );
  const entry = path.join(path.dirname(PLAYWRIGHT_BUNDLES[0]!), "..", "index.js");
  const order = { files, entry, deferred: DEFERRED_MODULES, keys };
  const builder = path.join(dir, "entry.cjs");
  const call = `(require, ${JSON.stringify(order)}, ${measure.toString()})`;
  writeFileSync(builder, `(${snapshotEntry.toString()})${call};\n`);
  const blob = path.join(dir, "playwright.blob");
  const started = Date.now();
  await run(process.execPath, ["--snapshot-blob", blob, "--build-snapshot", builder]);
  const mb = fmt(statSync(blob).size / 1e6);
  console.log(`snapshot built in ${Date.now() - started} ms, ${mb} MB`);
  return blob;
}

export async function probeStartupSnapshot(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-snapshot-"));
  const chromium = await launchCdpChromium({ executablePath: loadConfig({}).CHROME_PATH });
  try {
    const { replacements } = await writeSandboxBundles(path.join(dir, "bundles"));
    const files = Object.fromEntries(replacements.map((r) => [r.path, r.with]));
    const script = writeCodeCacheScript(dir, files);
    // Every side as a host runs: TypeScript from Node's compile cache, a small young generation.
    const env = {
      ...process.env,
      NODE_COMPILE_CACHE: path.join(dir, "compile"),
      CDP_ENDPOINT: chromium.wsEndpoint,
    };
    const flags = ["--max-semi-space-size=1"];
    await run(process.execPath, [...flags, script, "fill"], { env });
    const blob = await buildSnapshot(dir, files);
    const sides = {
      snapshot: ["--snapshot-blob", blob],
      process: [script, "load"],
      worker: [script, "worker"],
      bare: ["-e", `(${measure.toString()})(undefined, "")`],
    };
    const readings = new Map(Object.keys(sides).map((side) => [side, [] as Reading[]]));
    for (let i = 0; i < ROUNDS; i++) {
      for (const [side, args] of Object.entries(sides)) {
        const { stdout } = await run(process.execPath, [...flags, ...args], { env });
        readings.get(side)!.push(JSON.parse(stdout.trim().split("\n").at(-1)!) as Reading);
      }
    }
    const p50 = (side: string, field: keyof Reading) =>
      percentile(
        readings.get(side)!.map((r) => r[field]),
        50,
      );
    const mb = (side: string, field: "pssKb" | "anonKb") => fmt(p50(side, field) / 1024);
    const bare = `PSS ${mb("bare", "pssKb")} MB (anonymous ${mb("bare", "anonKb")})`;
    console.log(`p50 of ${ROUNDS} each; a Node that loads nothing: ${bare}`);
    for (const side of ["snapshot", "process", "worker"]) {
      console.log(
        `${side.padEnd(8)} Playwright ready ${fmt(p50(side, "readyMs"))} ms, title read ` +
          `${fmt(p50(side, "doneMs"))} ms, CPU ${fmt(p50(side, "cpuMs"))} ms, ` +
          `PSS ${mb(side, "pssKb")} MB (anonymous ${mb(side, "anonKb")})`,
      );
    }
  } finally {
    await chromium.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await probeStartupSnapshot();
