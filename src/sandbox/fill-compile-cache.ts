// The process compile-cache.ts starts, with NODE_COMPILE_CACHE set: it writes the copies of
// Playwright's bundles that sandboxes see, if asked (sandbox-bundles.ts), loads the bundles as a
// session host's worker will (playwright-bundles.ts), imports what a host loads, so that Node
// compiles the rest into its cache, then saves the bundles' code, everything their load compiled.
// The code is keyed on each bundle's source, so the bundles are read as a sandbox sees them.
// Its last line of output says, in JSON, why a copy is not edited, if one is not.
import { mkdirSync, readFileSync } from "node:fs";
import { bundleCacheDir, loadPlaywrightBundles } from "../runtimes/playwright-bundles.ts";
import { writeSandboxBundles } from "./sandbox-bundles.ts";

export interface FillOrder {
  /** Module URLs to import. */
  entryPoints: string[];
  /** Where to write the sandboxes' copies of the bundles, if they see copies. */
  copies?: string | undefined;
}

const [orderJson] = process.argv.slice(2);
const compileCache = process.env.NODE_COMPILE_CACHE;
if (!orderJson || !compileCache) {
  throw new Error("usage: NODE_COMPILE_CACHE=<dir> fill-compile-cache.ts <FillOrder as JSON>");
}
const order = JSON.parse(orderJson) as FillOrder;
const { replacements, problems } = order.copies
  ? await writeSandboxBundles(order.copies)
  : { replacements: [], problems: [] };
const replaced = new Map(replacements.map((r) => [r.path, r.with]));
const bundles = loadPlaywrightBundles({
  read: (bundle) => readFileSync(replaced.get(bundle) ?? bundle, "utf8"),
});
for (const href of order.entryPoints) await import(href);
const dir = bundleCacheDir(compileCache);
mkdirSync(dir, { recursive: true, mode: 0o700 });
bundles.save(dir);
process.stdout.write(`\n${JSON.stringify(problems)}\n`);
