import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import vm from "node:vm";
import * as acorn from "acorn";
import { assertEditedAsciiCopies } from "../../test/helpers/bundle-copies.ts";
import { PLAYWRIGHT_BUNDLES } from "../runtimes/playwright-bundles.ts";
import { escapeNonAscii, sandboxBundleFiles, writeSandboxBundles } from "./sandbox-bundles.ts";

const NON_ASCII = /[^\x20-\x7e\n\r\t]/;

/**
 * Where each non-ASCII character of `source` sits: a comment, or the token holding it (string,
 * regexp, template, name). Only a template would read an escape differently (its raw text).
 */
function placesOfNonAscii(source: string): Map<string, number> {
  const positions: number[] = [];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) > 0x7f) positions.push(i);
  const places = new Map<string, number>();
  let next = 0;
  const claim = (start: number, end: number, place: string) => {
    while (next < positions.length && positions[next]! < start) next++;
    while (next < positions.length && positions[next]! < end) {
      places.set(place, (places.get(place) ?? 0) + 1);
      next++;
    }
  };
  // Comments and tokens both arrive in source order, each before the node after it.
  const spans: [number, number, string][] = [];
  acorn.parse(source, {
    ecmaVersion: "latest",
    sourceType: "script",
    allowReturnOutsideFunction: true,
    onComment: (_block, _text, start, end) => spans.push([start, end, "comment"]),
    onToken: (token) => {
      if (NON_ASCII.test(source.slice(token.start, token.end)))
        spans.push([token.start, token.end, token.type.label]);
    },
  });
  for (const [start, end, place] of spans.sort((a, b) => a[0] - b[0])) claim(start, end, place);
  assert.equal(next, positions.length, "every non-ASCII character lies in a comment or a token");
  return places;
}

describe("sandbox copies of Playwright's bundles", () => {
  it("escape each non-ASCII character where JavaScript reads it as the same program", () => {
    const source = [
      "// a comment — with a dash",
      "const ß = 'Grüße ─ 😀';",
      'const re = /[─◯]+/u.test("◯─◯");',
      "const plain = /😀/.test('😀');",
      "({ ß, re, plain, length: ß.length })",
    ].join("\n");
    const escaped = escapeNonAscii(source);
    assert.doesNotMatch(escaped, NON_ASCII, "the copy is ASCII");
    const run = (code: string) => JSON.stringify(vm.runInNewContext(code));
    assert.equal(run(escaped), run(source));
    assert.equal(escapeNonAscii("plain ASCII"), "plain ASCII");
  });

  it("hold non-ASCII only where an escape reads the same, in the installed Playwright", async () => {
    for (const bundle of PLAYWRIGHT_BUNDLES) {
      const places = placesOfNonAscii(await readFile(bundle, "utf8"));
      assert.ok(places.size > 0, `${path.basename(bundle)} has non-ASCII (else no copy is needed)`);
      for (const place of places.keys()) {
        assert.ok(["comment", "string", "regexp", "name"].includes(place), `${bundle}: ${place}`);
      }
    }
  });

  it("are written as ASCII files, edited, that replace the bundles the worker loads", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "skiff-ascii-"));
    try {
      const { replacements, problems } = await writeSandboxBundles(dir);
      assert.deepEqual(problems, [], "the installed bundles are edited");
      assert.deepEqual(replacements, sandboxBundleFiles(dir));
      assert.deepEqual(
        replacements.map((r) => r.path),
        PLAYWRIGHT_BUNDLES,
      );
      await assertEditedAsciiCopies(replacements);
      const again = await writeSandboxBundles(dir);
      assert.deepEqual(again, { replacements, problems: [] }, "a second server writes the same");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
