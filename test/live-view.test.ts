// Live view in real headless Chromium: a viewer page shows the session's browser; the interactive
// one drives it (click, type); the read-only socket takes no input, whatever a client sends.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import type { Browser, Page } from "playwright-core";
import { WebSocket } from "ws";
import { launchChromium } from "../src/browser/chromium.ts";
import { CHROME_PATH, quietLogger } from "./fixtures/site/test-browser.ts";
import { interactClient } from "./helpers/interact-client.ts";
import { useSkiffAndSite } from "./helpers/skiff-harness.ts";

const t = useSkiffAndSite({ SESSION_WARM_POOL: "1" });
const { sdk, scrape, run } = interactClient(t);

/** Runs node code in the session and returns the reply (asserting success). */
async function node(id: string, code: string) {
  const reply = await run(id, "node", code);
  assert.equal(reply.success, true, reply.error);
  return reply;
}

/** Opens a viewer page and waits for its first frame. */
async function openViewer(browser: Browser, url: string): Promise<Page> {
  const viewer = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await viewer.goto(url);
  await viewer.waitForFunction(() => ((window as { skiffFrames?: number }).skiffFrames ?? 0) >= 1);
  return viewer;
}

/** Clicks the viewer at the session page's own coordinates (CSS pixels of the session's page). */
async function clickAt(viewer: Page, x: number, y: number): Promise<void> {
  const box = await viewer.locator("#screen").boundingBox();
  const frame = await viewer.evaluate(
    () => (window as { skiffFrame?: { width: number; height: number } }).skiffFrame,
  );
  assert.ok(box && frame);
  await viewer.mouse.click(
    box.x + (x * box.width) / frame.width,
    box.y + (y * box.height) / frame.height,
  );
}

async function centreOf(id: string, selector: string): Promise<{ x: number; y: number }> {
  const reply = await node(id, `await page.locator(${JSON.stringify(selector)}).boundingBox()`);
  const box = JSON.parse(String(reply.result)) as {
    x: number;
    y: number;
    width: number;
    height: number;
  };
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

describe("live view", () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium({ executablePath: CHROME_PATH, logger: quietLogger });
  });
  after(async () => {
    await browser.close();
  });

  it("shows the session's page: a red block arrives as red pixels", async () => {
    const id = await scrape("/article");
    const reply = await node(
      id,
      `await page.setContent('<body style="margin:0"><div style="background:rgb(255,0,0);width:600px;height:400px"></div></body>')`,
    );
    assert.match(String(reply.liveViewUrl), /^http:\/\/127\.0\.0\.1:\d+\/v2\/live\//);
    const viewer = await openViewer(browser, String(reply.liveViewUrl));
    const pixel = await viewer.evaluate(() => {
      const img = document.getElementById("screen") as HTMLImageElement;
      const canvas = document.createElement("canvas");
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const context = canvas.getContext("2d");
      context?.drawImage(img, 0, 0);
      return Array.from(context?.getImageData(20, 20, 1, 1).data ?? []);
    });
    assert.ok(pixel[0]! > 200 && pixel[1]! < 60 && pixel[2]! < 60, `pixel ${pixel.join(",")}`);
    assert.equal(await viewer.locator("#mode").innerText(), "read-only");
    assert.equal(await viewer.locator("#tabs").innerText(), "1 tab");
    await viewer.close();
  });

  it("ignores input on the read-only socket; the interactive page clicks and types", async () => {
    const id = await scrape("/tabs");
    const reply = await node(id, "page.url()");
    const button = await centreOf(id, "button[data-panel=two]");
    const readOnly = new WebSocket(`${String(reply.liveViewUrl).replace(/^http/, "ws")}/ws`);
    await new Promise((resolve) => readOnly.once("open", resolve));
    for (const action of ["mousePressed", "mouseReleased"]) {
      readOnly.send(
        JSON.stringify({
          type: "input",
          input: { type: "mouse", action, ...button, button: "left", clickCount: 1 },
        }),
      );
    }
    await delay(500);
    readOnly.close();
    assert.equal((await node(id, `await page.locator("#two").isVisible()`)).result, "false");

    const viewer = await openViewer(browser, String(reply.interactiveLiveViewUrl));
    assert.equal(await viewer.locator("#mode").innerText(), "interactive");
    assert.equal(await viewer.locator("#url").innerText(), `${t.site.url}/tabs`);
    await clickAt(viewer, button.x, button.y);
    await delay(300);
    assert.equal((await node(id, `await page.locator("#two").isVisible()`)).result, "true");
    await viewer.close();
  });

  it("types into a text field through the interactive viewer", async () => {
    const id = await scrape("/form");
    const reply = await node(id, "page.url()");
    const field = await centreOf(id, "#text");
    const viewer = await openViewer(browser, String(reply.interactiveLiveViewUrl));
    await clickAt(viewer, field.x, field.y);
    await viewer.keyboard.type("secret pass");
    await delay(300);
    assert.equal((await node(id, `await page.inputValue("#text")`)).result, "secret pass");
    await viewer.close();
  });

  it("serves several viewers at once, and shows them all that the session ended", async () => {
    const id = await scrape("/tabs");
    const reply = await node(id, "1");
    const watching = await openViewer(browser, String(reply.liveViewUrl));
    const driving = await openViewer(browser, String(reply.interactiveLiveViewUrl));
    await sdk().stopInteraction(id);
    for (const viewer of [watching, driving]) {
      // Polling by time: a background tab gets no animation frames to poll with.
      await viewer.waitForFunction(() => document.body.classList.contains("ended"), undefined, {
        polling: 100,
      });
      assert.equal(await viewer.locator("#ended").isVisible(), true);
      await viewer.close();
    }
  });

  it("refuses a made-up token, another session's token, and a stopped session's", async () => {
    const id = await scrape("/article");
    const reply = await node(id, "1");
    const [sessionPart, token] = String(reply.liveViewUrl).split("/").slice(-2);
    const madeUp = await fetch(`${t.server.url}/v2/live/${sessionPart}/${"y".repeat(32)}`);
    assert.equal(madeUp.status, 404);
    const other = await node(await scrape("/tabs"), "1");
    const otherToken = String(other.liveViewUrl).split("/").at(-1);
    assert.equal((await fetch(`${t.server.url}/v2/live/${sessionPart}/${otherToken}`)).status, 404);
    assert.equal((await fetch(`${t.server.url}/v2/live/${sessionPart}/${token}`)).status, 200);
    assert.equal((await fetch(String(reply.liveViewUrl))).status, 200);
    await sdk().stopInteraction(id);
    assert.equal((await fetch(String(reply.liveViewUrl))).status, 404);
    assert.equal((await fetch(String(reply.interactiveLiveViewUrl))).status, 404);
    const socket = new WebSocket(`${String(reply.liveViewUrl).replace(/^http/, "ws")}/ws`);
    const refused = await new Promise((resolve) => {
      socket.once("unexpected-response", (_req, res) => resolve(res.statusCode));
      socket.once("open", () => resolve("open"));
    });
    assert.equal(refused, 404);
  });
});
