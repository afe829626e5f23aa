// Where an interact call's time goes on a live session: HTTP alone, a request Fastify refuses, a
// call that runs no browser code, and `await page.title()`. The differences are the profile of
// the call path (issue 18); each figure is a p50 from the same server in the same run, the steps taken in turn.
import { aloneWithSite } from "./alone.ts";
import type { TestSite } from "../test/fixtures/site/test-site.ts";
import { postJson, startSkiff } from "../test/helpers/skiff-harness.ts";
import { scrape, stop } from "./interact-bench.ts";
import { fmt, latency, timeInterleaved } from "./stats.ts";

const SAMPLES = 60;
const WARMUP = 10;

export interface CallPath {
  samples: number;
  /** Name → p50 in ms, cheapest first. */
  steps: { name: string; p50: number }[];
}

export async function benchCallPath(site: TestSite): Promise<CallPath> {
  const server = await startSkiff({ SESSION_WARM_POOL: "1" });
  try {
    const id = await scrape(server.url, `${site.url}/article`);
    const interact = (code: string) =>
      postJson(`${server.url}/v2/scrape/${id}/interact`, { code, language: "node" });
    await interact("1");
    const steps = {
      "GET liveness": () => fetch(`${server.url}/v0/health/liveness`).then((r) => r.text()),
      "POST refused (400)": () => postJson(`${server.url}/v2/scrape`, { nope: 1 }),
      "interact `1` (no browser)": () => interact("1"),
      "interact `await page.title()`": () => interact("await page.title()"),
    };
    await timeInterleaved(WARMUP, steps);
    const times = await timeInterleaved(SAMPLES, steps);
    const measured = Object.entries(times).map(([name, samples]) => ({
      name,
      p50: latency(samples).p50,
    }));
    await stop(server.url, id);
    return { samples: SAMPLES, steps: measured };
  } finally {
    await server.close();
  }
}

export function printCallPath(b: CallPath): void {
  console.log(`interact call path on a live session, ${b.samples} calls each (p50, and the step)`);
  let before = 0;
  for (const step of b.steps) {
    const added = before === 0 ? "" : `   +${fmt(step.p50 - before, 2)} ms`;
    console.log(`  ${step.name.padEnd(34)} ${fmt(step.p50, 2).padStart(6)} ms${added}`);
    before = step.p50;
  }
  console.log("");
}

if (import.meta.main) await aloneWithSite(async (site) => printCallPath(await benchCallPath(site)));
