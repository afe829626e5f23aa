import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { Logger } from "../log.ts";
import { sandboxBundleFiles, type FileReplacement } from "./sandbox-bundles.ts";
import type { FillOrder, FillReport } from "./fill-compile-cache.ts";
import type { SandboxMode } from "./sandbox-launcher.ts";

const run = promisify(execFile);

/** The modules a session host compiles: its entry, its own, its runtime's worker and the replay. */
const HOST_ENTRY_POINTS = [
  "./session-host-main.ts",
  "./session-host.ts",
  "../runtimes/node-worker.ts",
  "../runtimes/replay.ts",
].map((specifier) => new URL(specifier, import.meta.url).href);
const FILL_SCRIPT = path.join(import.meta.dirname, "fill-compile-cache.ts");
const FILL_TIMEOUT_MS = 60_000;

/** What a trusted process prepares once for every session host of a server. */
export interface HostCode {
  /** A Node compile cache holding everything a host loads, given read-only to sandboxes. */
  compileCache: string;
  /** Files sandboxes see replaced: Playwright's bundles by their copies (sandbox-bundles.ts). */
  replacements: FileReplacement[];
}

/**
 * Prepares, in `dir`, what session hosts share, from a trusted process outside any sandbox:
 * copies of Playwright's bundles (sandbox-bundles.ts; only in mode "bwrap", where a sandbox sees
 * them in place of the originals), then a compile cache filled with what a host loads, as it will
 * see it, with the code of Playwright's bundles as their load and a rehearsal of a session's start
 * on `chromePath` left it (playwright-bundles.ts, fill-compile-cache.ts). A host then neither
 * strips TypeScript (Node loads a WebAssembly compiler per thread for that) nor compiles
 * Playwright: measured, ~30 MB less per session and a faster start. Undefined when it failed,
 * after a warning: hosts then work as before, only bigger and slower.
 */
export async function prepareHostCode(
  dir: string,
  mode: SandboxMode,
  logger: Logger,
  chromePath?: string,
): Promise<HostCode | undefined> {
  const started = Date.now();
  const compileCache = path.join(dir, "cache");
  try {
    await mkdir(compileCache, { recursive: true, mode: 0o700 });
    const copies = mode === "bwrap" ? path.join(dir, "bundles") : undefined;
    const order: FillOrder = { entryPoints: HOST_ENTRY_POINTS, copies, chromePath };
    const { stdout } = await run(process.execPath, [FILL_SCRIPT, JSON.stringify(order)], {
      env: { NODE_COMPILE_CACHE: compileCache },
      timeout: FILL_TIMEOUT_MS,
    });
    // The fill's last line says what it could not do.
    const report = JSON.parse(stdout.trim().split("\n").at(-1)!) as FillReport;
    for (const problem of report.copies) {
      logger.warn(`a copy of Playwright's bundles for sandboxes is not made lazy: ${problem}`);
    }
    if (report.rehearsal !== undefined) {
      logger.warn(
        `the session host code cache holds Playwright's load but not a session's start, whose ` +
          `rehearsal failed: ${report.rehearsal}`,
      );
    }
    const replacements = copies ? sandboxBundleFiles(copies) : [];
    logger.debug(
      { dir, replaced: replacements.length, ms: Date.now() - started },
      "session host code prepared",
    );
    return { compileCache, replacements };
  } catch (err) {
    logger.warn({ err }, "could not prepare the session host code cache; hosts start without it");
    return undefined;
  }
}
