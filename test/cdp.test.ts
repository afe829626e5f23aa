// `cdpUrl`: Playwright in this process, outside the sandbox, drives the session's own browser
// through Skiff, and interact calls see what it did (and the other way round).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chromium } from "playwright-core";
import { interactClient } from "./helpers/interact-client.ts";
import { useSkiffAndSite } from "./helpers/skiff-harness.ts";

const t = useSkiffAndSite({ SESSION_WARM_POOL: "1" });
const { sdk, scrape, run } = interactClient(t);

describe("cdpUrl", () => {
  it("connectOverCDP reads what an interact call set, and a click over CDP is seen by the next call", async () => {
    const id = await scrape("/tabs");
    const set = await run(
      id,
      "node",
      `await page.evaluate(() => (document.title = "set by interact"))`,
    );
    assert.equal(set.success, true, set.error);
    const cdpUrl = String(set.cdpUrl);
    assert.match(cdpUrl, /^ws:\/\//);
    const browser = await chromium.connectOverCDP(cdpUrl, { timeout: 15_000 });
    try {
      const page = browser
        .contexts()[0]
        ?.pages()
        .find((p) => p.url().endsWith("/tabs"));
      assert.ok(page, "the session's content tab");
      assert.equal(await page.title(), "set by interact");
      await page.click("button[data-panel=two]");
    } finally {
      await browser.close();
    }
    const seen = await run(id, "node", `await page.locator("#two").isVisible()`);
    assert.equal(seen.result, "true");
    const still = await run(id, "node", "page.url()");
    assert.equal(
      still.result,
      `${t.site.url}/tabs`,
      "closing the CDP client left the session alone",
    );
  });

  it("refuses a made-up token and the token of a stopped session", async () => {
    const base = t.server.url.replace(/^http/, "ws");
    await assert.rejects(
      chromium.connectOverCDP(`${base}/v2/cdp/${"x".repeat(32)}`, { timeout: 5000 }),
    );
    const id = await scrape("/article");
    const reply = await run(id, "node", "1");
    await sdk().stopInteraction(id);
    await assert.rejects(chromium.connectOverCDP(String(reply.cdpUrl), { timeout: 5000 }));
  });
});
