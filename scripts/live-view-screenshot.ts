// Makes docs/live-view.png, the README's picture of the interactive live view: a real Skiff, the
// local test site, a session on its tabs page, and the viewer page in headless Chromium.
// Run: ./skiff node scripts/live-view-screenshot.ts
import path from "node:path";
import { launchChromium } from "../src/browser/chromium.ts";
import { CHROME_PATH, quietLogger } from "../test/fixtures/site/test-browser.ts";
import { startTestSite } from "../test/fixtures/site/test-site.ts";
import { postJson, startSkiff } from "../test/helpers/skiff-harness.ts";

const OUTPUT = path.resolve(import.meta.dirname, "../docs/live-view.png");

const site = await startTestSite();
const server = await startSkiff({ SESSION_WARM_POOL: "1" });
const browser = await launchChromium({ executablePath: CHROME_PATH, logger: quietLogger });
try {
  const scraped = await postJson(`${server.url}/v2/scrape`, { url: `${site.url}/tabs` });
  const { scrapeId } = (scraped.body.data as { metadata: { scrapeId: string } }).metadata;
  const reply = await postJson(`${server.url}/v2/scrape/${scrapeId}/interact`, {
    code: `await page.setViewportSize({ width: 1024, height: 600 }); await page.click("button[data-panel=two]")`,
  });
  const viewer = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  await viewer.goto(String(reply.body.interactiveLiveViewUrl));
  await viewer.waitForFunction(() => ((window as { skiffFrames?: number }).skiffFrames ?? 0) >= 1);
  await viewer.screenshot({ path: OUTPUT });
  process.stdout.write(`wrote ${OUTPUT}\n`);
} finally {
  await browser.close();
  await server.close();
  await site.close();
}
