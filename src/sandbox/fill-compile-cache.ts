// The process compile-cache.ts starts, with NODE_COMPILE_CACHE set: it loads Playwright's bundles
// as a session host's worker will (playwright-bundles.ts), imports what a host loads, so that Node
// compiles the rest into its cache, then saves the bundles' code, everything their load compiled.
// The code is keyed on each bundle's source, so the bundles are read as a sandbox sees them: from
// their replacements (ascii-bundles.ts) where there are some.
import { mkdirSync, readFileSync } from "node:fs";
import { bundleCacheDir, loadPlaywrightBundles } from "../runtimes/playwright-bundles.ts";
import type { FileReplacement } from "./ascii-bundles.ts";

export interface FillOrder {
  /** Module URLs to import. */
  entryPoints: string[];
  replacements: FileReplacement[];
}

const [orderJson] = process.argv.slice(2);
const compileCache = process.env.NODE_COMPILE_CACHE;
if (!orderJson || !compileCache) {
  throw new Error("usage: NODE_COMPILE_CACHE=<dir> fill-compile-cache.ts <FillOrder as JSON>");
}
const order = JSON.parse(orderJson) as FillOrder;
const replaced = new Map(order.replacements.map((r) => [r.path, r.with]));
const bundles = loadPlaywrightBundles({
  read: (bundle) => readFileSync(replaced.get(bundle) ?? bundle, "utf8"),
});
for (const href of order.entryPoints) await import(href);
const dir = bundleCacheDir(compileCache);
mkdirSync(dir, { recursive: true, mode: 0o700 });
bundles.save(dir);
