// Imported first by node-worker.ts: in a session host's worker, Playwright's bundles load from the
// code cache the server made (playwright-bundles.ts) before anything imports playwright-core.
// Without a cache (the server could not make one, or hosts run without a compile cache) Playwright
// loads as any package does.
import { isMainThread } from "node:worker_threads";
import { bundleCacheDir, hasBundleCache, loadPlaywrightBundles } from "./playwright-bundles.ts";

/** How this worker loaded Playwright's bundles; the ready message carries it to the main thread. */
export type BundleLoad = "cached" | "uncached" | { rejected: string[] };

function preload(): BundleLoad {
  const compileCache = process.env.NODE_COMPILE_CACHE;
  const dir = compileCache ? bundleCacheDir(compileCache) : undefined;
  if (isMainThread || !dir || !hasBundleCache(dir)) return "uncached";
  const { rejected } = loadPlaywrightBundles({ cacheDir: dir });
  return rejected.length > 0 ? { rejected } : "cached";
}

export const bundleLoad: BundleLoad = preload();
