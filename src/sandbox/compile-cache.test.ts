import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { assertEditedAsciiCopies } from "../../test/helpers/bundle-copies.ts";
import { recordLog } from "../../test/helpers/log-recorder.ts";
import { bundleCacheDir, hasBundleCache } from "../runtimes/playwright-bundles.ts";
import { prepareHostCode } from "./compile-cache.ts";
import { sandboxBundleFiles } from "./sandbox-bundles.ts";

describe("the session hosts' shared code", () => {
  it("is prepared by the fill process: edited copies of the bundles and their code cache", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "skiff-host-code-"));
    try {
      const { logger, lines } = recordLog<{ level: number }>();
      const code = await prepareHostCode(dir, "bwrap", logger);
      assert.deepEqual(
        lines.filter((line) => (line.level ?? 0) >= 40),
        [],
        "no warning: the copies are edited and the fill's report is read",
      );
      assert.ok(code, "prepared");
      assert.deepEqual(code.replacements, sandboxBundleFiles(path.join(dir, "bundles")));
      await assertEditedAsciiCopies(code.replacements);
      assert.ok(hasBundleCache(bundleCacheDir(code.compileCache)), "the bundles' code is cached");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
