// Interact `language: "node"`: `await page.title()` through NodeRuntime (worker thread, its own
// CDP connection) against the same call made in this process over CDP.
import { chromium } from "playwright-core";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/log.ts";
import { launchCdpChromium } from "../src/runtimes/cdp-chromium.ts";
import { NodeRuntime } from "../src/runtimes/node-runtime.ts";
import { fmt, latency, timeEach, type Latency } from "./stats.ts";

export interface NodeRuntimeBench {
  samples: number;
  runtime: Latency;
  inProcess: Latency;
  /** runtime.p50 - inProcess.p50, in ms (goal: <= 5). */
  overheadP50: number;
}

const SAMPLES = 50;
const WARMUP = 5;

export async function benchNodeRuntime(samples = SAMPLES): Promise<NodeRuntimeBench> {
  const config = loadConfig({ LOG_LEVEL: "silent" });
  const browser = await launchCdpChromium({ executablePath: config.CHROME_PATH });
  const runtime = new NodeRuntime({
    cdpEndpoint: browser.wsEndpoint,
    logger: createLogger("silent"),
  });
  const direct = await chromium.connectOverCDP(browser.wsEndpoint);
  try {
    const page = direct.contexts()[0]?.pages()[0];
    if (!page) throw new Error("the benchmark browser has no page");
    await page.setContent("<title>bench</title>");
    const viaRuntime = () => runtime.run("await page.title()", { timeoutMs: 10_000 });
    await timeEach(WARMUP, viaRuntime);
    const runtimeMs = await timeEach(samples, viaRuntime);
    await timeEach(WARMUP, () => page.title());
    const inProcessMs = await timeEach(samples, () => page.title());
    const result = { samples, runtime: latency(runtimeMs), inProcess: latency(inProcessMs) };
    return { ...result, overheadP50: result.runtime.p50 - result.inProcess.p50 };
  } finally {
    await direct.close();
    await runtime.close();
    await browser.close();
  }
}

if (import.meta.main) {
  const b = await benchNodeRuntime();
  const row = (name: string, l: Latency) =>
    console.log(`  ${name.padEnd(22)} p50 ${fmt(l.p50, 2)} ms   p95 ${fmt(l.p95, 2)} ms`);
  console.log(`interact node runtime, await page.title(), ${b.samples} calls each`);
  row("through NodeRuntime", b.runtime);
  row("in process (CDP)", b.inProcess);
  console.log(`  overhead p50           ${fmt(b.overheadP50, 2)} ms   [<= 5 ms]`);
}
