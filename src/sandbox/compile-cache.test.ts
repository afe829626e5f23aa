import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { assertEditedAsciiCopies } from "../../test/helpers/bundle-copies.ts";
import { recordLog } from "../../test/helpers/log-recorder.ts";
import { CHROME_PATH } from "../../test/fixtures/site/test-browser.ts";
import { bundleCacheDir, hasBundleCache } from "../runtimes/playwright-bundles.ts";
import { prepareHostCode } from "./compile-cache.ts";
import { sandboxBundleFiles } from "./sandbox-bundles.ts";

/** Bytes of the core bundle's cached code in a prepared compile cache. */
function coreCacheBytes(compileCache: string): number {
  return statSync(path.join(bundleCacheDir(compileCache), "coreBundle.js.v8cache")).size;
}

describe("the session hosts' shared code", () => {
  it("is prepared by the fill process: edited copies, their code cache and a start rehearsed", async () => {
    const dirs = await Promise.all(
      [0, 1].map(() => mkdtemp(path.join(os.tmpdir(), "skiff-host-code-"))),
    );
    try {
      const { logger, lines } = recordLog<{ level: number; msg: string }>();
      const warnings = () => lines.filter((line) => (line.level ?? 0) >= 40);
      const code = await prepareHostCode(dirs[0]!, "bwrap", logger, CHROME_PATH);
      assert.deepEqual(warnings(), [], "no warning: copies edited, start rehearsed, report read");
      assert.ok(code, "prepared");
      assert.deepEqual(code.replacements, sandboxBundleFiles(path.join(dirs[0]!, "bundles")));
      await assertEditedAsciiCopies(code.replacements);
      assert.ok(hasBundleCache(bundleCacheDir(code.compileCache)), "the bundles' code is cached");

      // A Chromium that cannot start: the cache holds the load alone, and the log says so.
      const loadOnly = await prepareHostCode(dirs[1]!, "bwrap", logger, "/nonexistent/chromium");
      assert.ok(loadOnly, "prepared without the rehearsal");
      assert.equal(warnings().length, 1);
      assert.match(warnings()[0]!.msg ?? "", /holds Playwright's load but not a session's start/);
      assert.ok(
        coreCacheBytes(code.compileCache) > coreCacheBytes(loadOnly.compileCache) + 50_000,
        "the rehearsal's code is in the cache",
      );
    } finally {
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    }
  });
});
