// Sandboxes see their own copies of Playwright's two bundles, at the bundles' paths, made once per
// server by a trusted process (fill-compile-cache.ts). Each copy is the bundle with the code that
// sessions never use left to run on first use (lazy-bundles.ts), then written in ASCII.
//
// ASCII: the bundles hold about two hundred characters outside Latin-1, all in comments. One such
// character makes V8 keep a script's whole source as a two-byte string, and a session host's
// worker keeps both sources as long as it lives: 14 MB where 7 would do (measured: the worker's
// heap 44.8 -> 38.2 MB). Each non-ASCII character is written as a \u escape: the same program
// wherever JavaScript reads such an escape (strings, regular expressions, identifiers; comments do
// not matter), and a one-byte source. The one place an escape would change a value is a template
// literal's raw text; sandbox-bundles.test.ts checks that the installed bundles have none there.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { PLAYWRIGHT_BUNDLES } from "../runtimes/playwright-bundles.ts";
import { deferCoreParts, deferUtilityPackages, type Edited } from "./lazy-bundles.ts";

/** A host file that a sandbox sees with another file's content, at the file's own path. */
export interface FileReplacement {
  path: string;
  with: string;
}

/** Every character above U+007F as `\uXXXX` (a pair of them for one beyond U+FFFF). */
export function escapeNonAscii(source: string): string {
  return source.replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** What a sandbox sees of each bundle, and why a bundle's copy is not edited, if it is not. */
export interface SandboxBundles {
  replacements: FileReplacement[];
  problems: string[];
}

/** The copies' paths in `dir`, one for each bundle: the same whether or not they exist yet. */
export function sandboxBundleFiles(dir: string): FileReplacement[] {
  return PLAYWRIGHT_BUNDLES.map((bundle) => ({
    path: bundle,
    with: path.join(dir, path.basename(bundle)),
  }));
}

/** Writes a sandbox's copy of each bundle into `dir` (sandboxBundleFiles). */
export async function writeSandboxBundles(dir: string): Promise<SandboxBundles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const replacements = sandboxBundleFiles(dir);
  const problems: string[] = [];
  // The editor's source keys the edit cache (editedBundle): read once, only when writing copies.
  const editor = await readFile(EDITOR);
  for (const { path: bundle, with: copy } of replacements) {
    const source = await readFile(bundle, "utf8");
    const edited = await editedBundle(bundle, source, editor);
    if ("problem" in edited) problems.push(`${path.basename(bundle)}: ${edited.problem}`);
    await writeFile(copy, escapeNonAscii("source" in edited ? edited.source : source), {
      mode: 0o600,
    });
  }
  return { replacements, problems };
}

const EDITS: Record<string, (source: string) => Edited> = {
  "coreBundle.js": deferCoreParts,
  "utilsBundle.js": deferUtilityPackages,
};
const require = createRequire(import.meta.url);
/** Beside the installed packages, as other tools keep theirs; keyed on what makes an edit. */
const EDIT_CACHE = path.join(require.resolve("playwright-core/package.json"), "../../.cache/skiff");
const EDITOR = new URL("./lazy-bundles.ts", import.meta.url);

/**
 * A bundle as lazy-bundles.ts edits it. Parsing the utilities bundle takes over a second, so an
 * edit is kept in a cache keyed on the bundle and the editor's source (`editor`); where the cache
 * cannot be written (a read-only install), each server edits again.
 */
async function editedBundle(bundle: string, source: string, editor: Buffer): Promise<Edited> {
  const edit = EDITS[path.basename(bundle)];
  if (!edit) return { problem: "no edit for it" };
  const key = createHash("sha256").update(editor).update(source).digest("hex");
  const name = path.basename(bundle, ".js");
  const cached = path.join(EDIT_CACHE, `${name}-${key.slice(0, 32)}.js`);
  try {
    return { source: await readFile(cached, "utf8") };
  } catch {
    // not made yet
  }
  const edited = edit(source);
  if ("source" in edited) {
    const partial = `${cached}.${process.pid}`;
    try {
      await mkdir(EDIT_CACHE, { recursive: true });
      await writeFile(partial, edited.source);
      await rename(partial, cached);
      // Edits of an older Playwright or editor go.
      for (const file of await readdir(EDIT_CACHE)) {
        if (file.startsWith(`${name}-`) && file.endsWith(".js") && file !== path.basename(cached))
          await rm(path.join(EDIT_CACHE, file), { force: true });
      }
    } catch {
      await rm(partial, { force: true });
    }
  }
  return edited;
}
