// Live view: how soon the first frame reaches a viewer that just connected, and how many frames
// per second a viewer gets while the page scrolls at 1280×720. A `ws` client stands in for the
// viewer page and acknowledges each frame at once, as the page does once it has drawn it.
import { aloneWithSite } from "./alone.ts";
import { setTimeout as delay } from "node:timers/promises";
import { WebSocket } from "ws";
import type { TestSite } from "../test/fixtures/site/test-site.ts";
import { postJson, startSkiff } from "../test/helpers/skiff-harness.ts";
import { fmt, latency, type Latency } from "./stats.ts";

export interface LiveViewBench {
  samples: number;
  firstFrame: Latency;
  scrollSeconds: number;
  framesPerSecond: number;
  width: number;
  height: number;
}

const FIRST_FRAME_SAMPLES = 10;
const SCROLL_SECONDS = 4;

/** Connects a viewer; resolves with the socket once open. */
async function connect(liveViewUrl: string): Promise<WebSocket> {
  const socket = new WebSocket(`${liveViewUrl.replace(/^http/, "ws")}/ws`);
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  return socket;
}

/** Milliseconds from opening the viewer's socket to its first frame. */
async function firstFrameMs(liveViewUrl: string): Promise<number> {
  const started = performance.now();
  const socket = await connect(liveViewUrl);
  await new Promise((resolve) => socket.once("message", resolve));
  const ms = performance.now() - started;
  socket.close();
  return ms;
}

export async function benchLiveView(site: TestSite): Promise<LiveViewBench> {
  const server = await startSkiff({ SESSION_WARM_POOL: "1" });
  try {
    const scraped = await postJson(`${server.url}/v2/scrape`, { url: `${site.url}/long` });
    const data = scraped.body.data as { metadata: { scrapeId: string } };
    const id = data.metadata.scrapeId;
    const interact = (code: string) => postJson(`${server.url}/v2/scrape/${id}/interact`, { code });
    const setUp = await interact(`await page.setViewportSize({ width: 1280, height: 720 }); 1`);
    const liveViewUrl = String(setUp.body.liveViewUrl);
    const samples: number[] = [];
    for (let i = 0; i < FIRST_FRAME_SAMPLES; i++) {
      samples.push(await firstFrameMs(liveViewUrl));
      await delay(200); // the screencast stops with its last viewer; the next one starts it again
    }
    const viewer = await connect(liveViewUrl);
    let frames = 0;
    let size = { width: 0, height: 0 };
    viewer.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString("utf8")) as { width: number; height: number };
      size = { width: frame.width, height: frame.height };
      frames++;
      viewer.send(JSON.stringify({ type: "ack" }));
    });
    await delay(500);
    const scroll = `await page.evaluate((ms) => new Promise((done) => {
      const end = performance.now() + ms;
      const step = () => { window.scrollBy(0, 12); if (performance.now() < end) requestAnimationFrame(step); else done(); };
      requestAnimationFrame(step);
    }), ${SCROLL_SECONDS * 1000})`;
    const before = frames;
    const started = performance.now();
    await interact(scroll);
    const seconds = (performance.now() - started) / 1000;
    const framesPerSecond = (frames - before) / seconds;
    viewer.close();
    return {
      samples: samples.length,
      firstFrame: latency(samples),
      scrollSeconds: seconds,
      framesPerSecond,
      ...size,
    };
  } finally {
    await server.close();
  }
}

export function printLiveView(b: LiveViewBench): void {
  console.log(
    `live view, ${b.samples} viewers connecting, then ${fmt(b.scrollSeconds)} s of scrolling`,
  );
  console.log(
    `  first frame after connecting      p50 ${fmt(b.firstFrame.p50).padStart(6)} ms   p95 ${fmt(b.firstFrame.p95).padStart(6)} ms   [p50 <= 300 ms]`,
  );
  console.log(
    `  frames while scrolling            ${fmt(b.framesPerSecond)} per second at ${b.width}x${b.height}   [>= 10]\n`,
  );
}

if (import.meta.main) await aloneWithSite(async (site) => printLiveView(await benchLiveView(site)));
