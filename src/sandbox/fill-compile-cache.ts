// The process compile-cache.ts starts, with NODE_COMPILE_CACHE set: it imports what a session
// host loads, so that Node compiles it all into the cache. The cache keys each file on its
// content, so the files a sandbox sees replaced (ascii-bundles.ts) are read from their
// replacements here too.
import { readFileSync } from "node:fs";
import { registerHooks } from "node:module";
import { pathToFileURL } from "node:url";
import type { FileReplacement } from "./ascii-bundles.ts";

export interface FillOrder {
  /** Module URLs to import. */
  entryPoints: string[];
  replacements: FileReplacement[];
}

const [orderJson] = process.argv.slice(2);
if (!orderJson) throw new Error("usage: fill-compile-cache.ts <FillOrder as JSON>");
const order = JSON.parse(orderJson) as FillOrder;
const replaced = new Map(order.replacements.map((r) => [pathToFileURL(r.path).href, r.with]));
registerHooks({
  load(url, context, nextLoad) {
    const loaded = nextLoad(url, context);
    const copy = replaced.get(url);
    return copy ? { ...loaded, source: readFileSync(copy, "utf8"), shortCircuit: true } : loaded;
  },
});
for (const href of order.entryPoints) await import(href);
