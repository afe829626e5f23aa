// Playwright's two bundles (7 MB of JavaScript) hold about two hundred characters outside
// Latin-1, all in comments. One such character makes V8 keep a script's whole source as a
// two-byte string, and a session host's worker keeps both sources as long as it lives: 14 MB
// where 7 would do (measured: the worker's heap 44.8 -> 38.2 MB). Sandboxes see copies in which
// each non-ASCII character is written as a \u escape: the same program wherever JavaScript reads
// such an escape (strings, regular expressions, identifiers; comments do not matter), and a
// one-byte source. The one place an escape would change a value is a template literal's raw text;
// ascii-bundles.test.ts checks that the installed bundles have none there.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { PLAYWRIGHT_BUNDLES } from "../runtimes/playwright-bundles.ts";

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

/** Writes an ASCII copy of each bundle that needs one into `dir`, and says what replaces what. */
export async function writeAsciiBundles(dir: string): Promise<FileReplacement[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const replacements: FileReplacement[] = [];
  for (const bundle of PLAYWRIGHT_BUNDLES) {
    const source = await readFile(bundle, "utf8");
    const ascii = escapeNonAscii(source);
    if (ascii === source) continue;
    const copy = path.join(dir, path.basename(bundle));
    await writeFile(copy, ascii, { mode: 0o600 });
    replacements.push({ path: bundle, with: copy });
  }
  return replacements;
}
