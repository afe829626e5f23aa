import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, it } from "node:test";
import { launchCdpChromium } from "./cdp-chromium.ts";

const profileDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith("skiff-cdp-"));

describe("launchCdpChromium", () => {
  it("rejects with the reason when the binary cannot be run, and leaves no profile behind", async () => {
    const before = new Set(profileDirs());
    await assert.rejects(launchCdpChromium({ executablePath: "/nonexistent/chromium" }), {
      message: /chromium could not be started: spawn \/nonexistent\/chromium ENOENT/,
    });
    assert.deepEqual(
      profileDirs().filter((name) => !before.has(name)),
      [],
    );
  });
});
