// The process compile-cache.ts starts, with NODE_COMPILE_CACHE set: it writes the copies of
// Playwright's bundles that sandboxes see, if asked (sandbox-bundles.ts), loads the bundles as a
// session host's worker will (playwright-bundles.ts), imports what a host loads, so that Node
// compiles the rest into its cache, rehearses a session's start against a Chromium of its own if
// given one (below), then saves the bundles' code: everything their load and the rehearsal
// compiled. The code is keyed on each bundle's source, so the bundles are read as a sandbox sees
// them. Its last line of output, in JSON, says what it could not do (FillReport).
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { bundleCacheDir, loadPlaywrightBundles } from "../runtimes/playwright-bundles.ts";
import { writeSandboxBundles } from "./sandbox-bundles.ts";

export interface FillOrder {
  /** Module URLs to import. */
  entryPoints: string[];
  /** Where to write the sandboxes' copies of the bundles, if they see copies. */
  copies?: string | undefined;
  /** The Chromium sessions run, for the rehearsal; none skips it. */
  chromePath?: string | undefined;
}

export interface FillReport {
  /** Why a copy of a bundle is not edited, one line each. */
  copies: string[];
  /** Why the rehearsal failed, if it did (the cache is saved all the same). */
  rehearsal?: string;
}

/** A page for the rehearsal: no network, a title to read. */
const REHEARSAL_URL = "data:text/html,<title>Skiff</title><p>rehearsal</p>";
const REHEARSAL_TIMEOUT_MS = 20_000;

/**
 * What a session's worker does at its start, in the same code (node-worker.ts): connect to its
 * Chromium over CDP, replay a page, pick the content tab and read its title. The functions of
 * Playwright's that this runs are then compiled in the cache too, so a host does not compile them
 * at every start: 12–17 ms less of a worker's CPU and 8–17 ms off the time to its first title (p50
 * of nine, three runs against a cache of the load alone).
 */
async function rehearse(chromePath: string): Promise<void> {
  // Imported here, not above: they require Playwright, whose bundles must first run through
  // loadPlaywrightBundles for their code to be saved.
  const { launchCdpChromium } = await import("../runtimes/cdp-chromium.ts");
  const { openCdpTransport } = await import("../runtimes/cdp-transport.ts");
  const { pickContentPage, replayScrape } = await import("../runtimes/replay.ts");
  const { SESSION_CHROMIUM_ARGS } = await import("./session-host.ts");
  const { chromium: playwright } = createRequire(import.meta.url)(
    "playwright-core",
  ) as typeof import("playwright-core");
  const chromium = await launchCdpChromium({
    executablePath: chromePath,
    extraArgs: SESSION_CHROMIUM_ARGS,
    timeoutMs: REHEARSAL_TIMEOUT_MS,
  });
  // A rehearsal that hangs ends with its browser, well before the server gives up on this process
  // (whose kill would leave a Chromium in its own process group behind).
  const deadline = setTimeout(() => void chromium.close(), REHEARSAL_TIMEOUT_MS);
  try {
    const transport = await openCdpTransport(chromium.wsEndpoint, REHEARSAL_TIMEOUT_MS);
    const browser = await playwright.connectOverCDP(transport, { timeout: REHEARSAL_TIMEOUT_MS });
    const request = {
      url: REHEARSAL_URL,
      waitForMs: 0,
      actions: [],
      timeoutMs: REHEARSAL_TIMEOUT_MS,
    };
    await replayScrape(browser, request, AbortSignal.timeout(REHEARSAL_TIMEOUT_MS));
    const page = await pickContentPage(browser);
    if ((await page.title()) !== "Skiff") throw new Error("the rehearsal read the wrong title");
    await browser.close();
  } finally {
    clearTimeout(deadline);
    await chromium.close();
  }
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
const report: FillReport = { copies: problems };
if (order.chromePath) {
  try {
    await rehearse(order.chromePath);
  } catch (err) {
    report.rehearsal = err instanceof Error ? err.message : String(err);
  }
}
const dir = bundleCacheDir(compileCache);
mkdirSync(dir, { recursive: true, mode: 0o700 });
bundles.save(dir);
process.stdout.write(`\n${JSON.stringify(report)}\n`);
