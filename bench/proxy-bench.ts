// The egress proxy's cost on a page load: /many (50 same-site subresources, no-store) loaded in
// a fresh context per sample, direct and through the proxy, alternating, same browser, same run.
import { aloneWithSite } from "./alone.ts";
import type { Browser, BrowserContextOptions } from "playwright-core";
import { launchChromium } from "../src/browser/chromium.ts";
import { createLogger } from "../src/log.ts";
import { EgressProxy, type ProxyListener } from "../src/net/egress-proxy.ts";
import { CHROME_PATH, hermeticArgs } from "../test/fixtures/site/test-browser.ts";
import type { TestSite } from "../test/fixtures/site/test-site.ts";
import { fmt, latency, type Latency } from "./stats.ts";

export interface ProxyBench {
  samples: number;
  subresources: number;
  direct: Latency;
  proxied: Latency;
  ratioP50: number;
  /** Response bytes the proxy carried per proxied load (its listener's bytesIn). */
  bytesPerLoad: number;
}

const SUBRESOURCES = 50;
const SAMPLES = 30;
const WARMUP = 5;

/** Fresh context + page; only the goto (waitUntil "load") is timed. */
async function load(browser: Browser, pageUrl: string, options: BrowserContextOptions) {
  const context = await browser.newContext(options);
  try {
    const page = await context.newPage();
    const t0 = performance.now();
    await page.goto(pageUrl, { waitUntil: "load" });
    return performance.now() - t0;
  } finally {
    await context.close();
  }
}

export async function benchProxy(site: TestSite, n = SAMPLES): Promise<ProxyBench> {
  const pageUrl = `${site.url}/many?n=${SUBRESOURCES}`;
  const proxy = new EgressProxy({
    // The site is on loopback: everything resolves there, and private targets are allowed.
    resolve: () => Promise.resolve(["127.0.0.1"]),
    allowPrivateTargets: true,
    logger: createLogger("silent"),
    ownPorts: () => [],
  });
  let listener: ProxyListener | undefined;
  let browser: Browser | undefined;
  try {
    listener = await proxy.listenTcp("proxy-bench");
    browser = await launchChromium({
      executablePath: CHROME_PATH,
      logger: createLogger("silent"),
      extraArgs: hermeticArgs(site),
    });
    // `<-loopback>` drops Chromium's implicit loopback bypass, so 127.0.0.1 goes via the proxy.
    const viaProxy = { proxy: { server: listener.url, bypass: "<-loopback>" } };
    const direct: number[] = [];
    const proxied: number[] = [];
    for (let i = 0; i < WARMUP; i++) {
      await load(browser, pageUrl, {});
      await load(browser, pageUrl, viaProxy);
    }
    const warmBytes = listener.counters.bytesIn;
    if (warmBytes === 0) throw new Error("the proxied loads did not go through the proxy");
    for (let i = 0; i < n; i++) {
      // Alternate which side goes first, so neither always follows the other.
      if (i % 2 === 0) {
        direct.push(await load(browser, pageUrl, {}));
        proxied.push(await load(browser, pageUrl, viaProxy));
      } else {
        proxied.push(await load(browser, pageUrl, viaProxy));
        direct.push(await load(browser, pageUrl, {}));
      }
    }
    const d = latency(direct);
    const p = latency(proxied);
    return {
      samples: n,
      subresources: SUBRESOURCES,
      direct: d,
      proxied: p,
      ratioP50: p.p50 / d.p50,
      bytesPerLoad: (listener.counters.bytesIn - warmBytes) / n,
    };
  } finally {
    await browser?.close();
    await listener?.close();
    await proxy.close();
  }
}

export function printProxy(b: ProxyBench): void {
  const row = (name: string, l: Latency) =>
    console.log(
      `  ${name.padEnd(34)} p50 ${fmt(l.p50).padStart(6)} ms   p95 ${fmt(l.p95).padStart(6)} ms`,
    );
  console.log(
    `egress proxy, page load of /many (${b.subresources} subresources), fresh context, ${b.samples} loads each`,
  );
  row("direct", b.direct);
  row("through the egress proxy", b.proxied);
  console.log(
    `  proxy carried                      ${Math.round(b.bytesPerLoad)} bytes per load (bytesIn)`,
  );
  console.log(
    `  ratio p50 proxy/direct             ${fmt(b.ratioP50, 2)}   [<= 1.10] ${b.ratioP50 <= 1.1 ? "pass" : "MISS"}\n`,
  );
}

if (import.meta.main) {
  await aloneWithSite(async (site) => {
    const t0 = performance.now();
    printProxy(await benchProxy(site));
    console.log(`  (proxy section took ${fmt((performance.now() - t0) / 1000)} s)`);
  });
}
