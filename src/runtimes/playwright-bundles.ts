// Loading Playwright is most of a session host's start: its two bundles are 7 MB of JavaScript,
// and loading them runs thousands of functions, each compiled by V8 the first time it runs.
// Node's compile cache holds only what V8 compiled before a file ran (its top level). A V8 code
// cache made after the bundles have run holds every function their load ran, so a host compiles
// almost nothing. The server makes it once, in a trusted process (fill-compile-cache.ts), and each
// session host's worker loads the bundles from it before anything imports Playwright.
//
// Measured (one process, 3 runs each, interleaved): loading Playwright 243-307 -> 174-189 ms. The
// cache brings in bytecode the load does not keep using: +19 MB of heap until the host's first
// idle collection (idle-trim.ts) drops it, +1.6 MB after.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire, Module } from "node:module";
import path from "node:path";
import vm from "node:vm";

const require = createRequire(import.meta.url);

/** Playwright's bundles in the order they load (the core requires the utilities). */
export const PLAYWRIGHT_BUNDLES: readonly string[] = [
  "playwright-core/lib/utilsBundle",
  "playwright-core/lib/coreBundle",
].map((specifier) => require.resolve(specifier));

/** Where the bundles' code cache lives in a compile cache directory (NODE_COMPILE_CACHE). */
export function bundleCacheDir(compileCacheDir: string): string {
  return path.join(compileCacheDir, "playwright-bundles");
}

function cacheFileOf(dir: string, bundle: string): string {
  return path.join(dir, `${path.basename(bundle)}.v8cache`);
}

/** The bundles' code cache exists in `dir` (a fill ran to its end). */
export function hasBundleCache(dir: string): boolean {
  return PLAYWRIGHT_BUNDLES.every((bundle) => existsSync(cacheFileOf(dir, bundle)));
}

export interface LoadedBundles {
  /** Bundles that ran from cached code. */
  fromCache: string[];
  /** Bundles whose cached code V8 refused (it then compiled them from source). */
  rejected: string[];
  /** Writes the code of everything compiled so far, per bundle, into `dir`. */
  save(dir: string): void;
}

export interface LoadOptions {
  /** Cached code to start from; none compiles from source, as a fill does. */
  cacheDir?: string;
  /** A bundle's source; the file at its path by default (the fill reads a sandbox's copies). */
  read?: (bundle: string) => string;
}

/**
 * Compiles and runs Playwright's bundles into this thread's require cache, so that the
 * `require` calls that follow (playwright-core's own among them) find them loaded. Throws if
 * either has run already: then it is too late, and the caller has imported Playwright first.
 */
export function loadPlaywrightBundles(options: LoadOptions = {}): LoadedBundles {
  const read = options.read ?? ((bundle: string) => readFileSync(bundle, "utf8"));
  const scripts: vm.Script[] = [];
  const fromCache: string[] = [];
  const rejected: string[] = [];
  for (const bundle of PLAYWRIGHT_BUNDLES) {
    if (require.cache[bundle]?.loaded) throw new Error(`${bundle} is loaded already`);
    const cachedData = options.cacheDir
      ? readFileSync(cacheFileOf(options.cacheDir, bundle))
      : undefined;
    const script = new vm.Script(Module.wrap(read(bundle)), {
      filename: bundle,
      ...(cachedData && { cachedData }),
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    if (cachedData) (script.cachedDataRejected ? rejected : fromCache).push(bundle);
    runAsModule(script, bundle);
    scripts.push(script);
  }
  return {
    fromCache,
    rejected,
    save(dir) {
      PLAYWRIGHT_BUNDLES.forEach((bundle, i) => {
        writeFileSync(cacheFileOf(dir, bundle), scripts[i]!.createCachedData());
      });
    },
  };
}

/**
 * Runs a compiled CommonJS wrapper as `require` would, and leaves the module in its cache. An ES
 * module that imports playwright-core makes Node put an empty, unloaded module there while it
 * links (to read the export names); that one is filled, so Node and this agree on one module.
 */
function runAsModule(script: vm.Script, file: string): void {
  const module = require.cache[file] ?? new Module(file);
  module.filename = file;
  require.cache[file] = module;
  try {
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    const dirname = path.dirname(file);
    wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname);
    module.loaded = true;
  } catch (err) {
    delete require.cache[file];
    throw err;
  }
}
