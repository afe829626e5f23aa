// Interact through the official Firecrawl JS SDK, unchanged: a real sandboxed session per scrape,
// driven by Node code against the local test site.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Firecrawl from "@mendable/firecrawl-js";
import { postJson, useSkiffAndSite } from "./helpers/skiff-harness.ts";

const t = useSkiffAndSite({ SESSION_WARM_POOL: "1" });
const sdk = () => new Firecrawl({ apiUrl: t.server.url, apiKey: "" });

/** Scrapes `path` on the test site and returns its scrape id. */
async function scrape(path: string, options: Record<string, unknown> = {}): Promise<string> {
  const doc = await sdk().scrape(`${t.site.url}${path}`, { formats: ["markdown"], ...options });
  const id = doc.metadata?.scrapeId;
  assert.ok(id, "the scrape has an id");
  return id;
}

describe("interact through the SDK", () => {
  it("waits for hydration, returns the last expression and prints to stdout", async () => {
    const id = await scrape("/client-rendered?delay=1500");
    const first = await sdk().interact(id, {
      code: `await page.waitForSelector(".stats");
        console.log("rows:", await page.locator(".stats li").count());
        await page.locator("h1").innerText()`,
    });
    assert.equal(first.success, true, first.error);
    assert.equal(first.result, "Hydrated content");
    assert.equal(first.stdout, "rows: 2\n");
    assert.equal(first.exitCode, 0);
    assert.equal(first.killed, false);
    const second = await sdk().interact(id, {
      code: `await page.locator(".stats li").allInnerTexts()`,
    });
    assert.equal(second.result, JSON.stringify(["Users: 1234", "Orders: 5678"]));
  });
});
