import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { escapeNonAscii, type FileReplacement } from "../../src/sandbox/sandbox-bundles.ts";

/** Each sandbox copy is ASCII and is more than its bundle escaped: the lazy edit was applied. */
export async function assertEditedAsciiCopies(replacements: FileReplacement[]): Promise<void> {
  for (const r of replacements) {
    const [original, copy] = await Promise.all([readFile(r.path, "utf8"), readFile(r.with)]);
    assert.ok(
      copy.every((byte) => byte < 0x80),
      `${r.with} is ASCII`,
    );
    assert.notEqual(copy.toString("utf8"), escapeNonAscii(original), `${r.with} is edited`);
  }
}
