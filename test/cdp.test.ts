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

  it("refuses a made-up token, another session's token, and a stopped session's", async () => {
    const id = await scrape("/article");
    const reply = await run(id, "node", "1");
    const url = String(reply.cdpUrl);
    const sessionPart = url.slice(0, url.lastIndexOf("/"));
    const connect = (target: string) => chromium.connectOverCDP(target, { timeout: 5000 });
    await assert.rejects(connect(`${sessionPart}/${"x".repeat(32)}`));
    const other = String((await run(await scrape("/tabs"), "node", "1")).cdpUrl);
    await assert.rejects(connect(`${sessionPart}/${other.slice(other.lastIndexOf("/") + 1)}`));
    await sdk().stopInteraction(id);
    await assert.rejects(connect(url));
  });
});
