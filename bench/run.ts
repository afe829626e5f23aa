// ./skiff bench: every benchmark, each a ratio against a baseline measured in this same run.
import { startTestSite } from "../test/fixtures/site/test-site.ts";
import { benchAgent, printAgent } from "./agent-bench.ts";
import { benchClaims, printClaims } from "./claims-bench.ts";
import { benchCluster, printCluster } from "./cluster-bench.ts";
import { benchCrawl, printCrawl } from "./crawl-bench.ts";
import { benchCallPath, printCallPath } from "./call-path-bench.ts";
import { benchBurst, printBurst } from "./burst-bench.ts";
import { benchColdSession, printColdSession } from "./cold-session-bench.ts";
import { benchInteract, printInteract } from "./interact-bench.ts";
import { benchLiveView, printLiveView } from "./live-view-bench.ts";
import { benchMarkdown } from "./markdown-bench.ts";
import { benchNodeRuntime } from "./node-runtime-bench.ts";
import { benchProxy, printProxy } from "./proxy-bench.ts";
import { benchPython, printPython } from "./python-bench.ts";
import { BLOCK, PACE_MS, benchScrape } from "./scrape-bench.ts";
import { benchSearch, printSearch } from "./search-bench.ts";
import { fmt } from "./stats.ts";

const site = await startTestSite();
try {
  console.log("skiff bench — goals in brackets\n");

  const md = await benchMarkdown();
  console.log("markdown converter, 1 MB page");
  console.log(`  skiff (mdream)   ${fmt(md.skiffMBps)} MB/s`);
  console.log(`  turndown + gfm   ${fmt(md.turndownMBps)} MB/s`);
  console.log(`  ratio            ${fmt(md.ratio)}x   [>= 10x]\n`);

  const s = await benchScrape(`${site.url}/article`);
  const row = (name: string, l: { p50: number; p95: number }) =>
    console.log(
      `  ${name.padEnd(34)} p50 ${fmt(l.p50).padStart(6)} ms   p95 ${fmt(l.p95).padStart(6)} ms`,
    );
  console.log(
    `/v2/scrape markdown of a local static page, ${s.samples} scrapes each, in turns of ${BLOCK}`,
  );
  console.log("  back to back:");
  row("skiff (fresh context per scrape)", s.tight.skiff);
  row("raw playwright, reused page", s.tight.rawReusedPage);
  row("raw playwright, fresh context", s.tight.rawFreshContext);
  console.log(
    `  ratio p50 vs reused page           ${fmt(s.tight.skiff.p50 / s.tight.rawReusedPage.p50, 2)}`,
  );
  const freshRatio = s.tight.skiff.p50 / s.tight.rawFreshContext.p50;
  console.log(
    `  ratio p50 vs fresh context         ${fmt(freshRatio, 2)}   [<= 1.3] ${freshRatio <= 1.3 ? "pass" : "MISS"}`,
  );
  console.log(`  paced (${PACE_MS} ms between requests, both sides):`);
  row("skiff", s.paced.skiff);
  row("raw playwright, reused page", s.paced.rawReusedPage);
  console.log(
    `  ratio p50 vs reused page           ${fmt(s.paced.skiff.p50 / s.paced.rawReusedPage.p50, 2)}   [<= 1.3]\n`,
  );
  console.log(`throughput, ${s.concurrentClients} concurrent clients`);
  console.log(`  ${fmt(s.scrapesPerSecond)} scrapes/s\n`);

  const rt = await benchNodeRuntime();
  console.log(`node runtime: \`await page.title()\`, ${rt.samples} calls each`);
  row("through the runtime (worker)", rt.runtime);
  row("in process", rt.inProcess);
  console.log(`  overhead p50                       ${fmt(rt.overheadP50, 2)} ms   [<= 5 ms]\n`);

  printProxy(await benchProxy(site));
  printLiveView(await benchLiveView(site));
  printAgent(await benchAgent(site));
  printPython(await benchPython(site));
  printCrawl(await benchCrawl());
  printSearch(await benchSearch(site));
  printClaims(await benchClaims());
  printCluster(await benchCluster(site));
  printInteract(await benchInteract(site));
  printCallPath(await benchCallPath(site));
  printColdSession(await benchColdSession(site));
  // Last: forty sessions' browsers take a while to die after it.
  printBurst(await benchBurst(site));
} finally {
  await site.close();
}
