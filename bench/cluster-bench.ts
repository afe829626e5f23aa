// What running as a cluster costs, each against a baseline in the same run, on throwaway Postgres:
// - scrapes per second through three nodes against one node with the same total concurrency
//   (SCRAPE_CONCURRENCY 2 on each of three against 6 on one), both behind the same test balancer,
//   both clusters up throughout and measured in mirrored order (one, three, three, one), each
//   figure the mean of its two windows: a machine that speeds up or slows down weighs on both;
// - an interact call (`await page.title()`) sent to a node that does not run the session, so it is
//   forwarded over the owner's internal port, against the same call sent to the owner.
import { aloneWithSite } from "./alone.ts";
import { startBalancer } from "../test/cluster/balancer.ts";
import { startCluster, type Cluster, type ClusterNode } from "../test/cluster/nodes.ts";
import type { TestSite } from "../test/fixtures/site/test-site.ts";
import { startThrowawayPostgres } from "../test/helpers/throwaway-postgres.ts";
import { fmt, latency, timeEach, type Latency } from "./stats.ts";

export interface ClusterBench {
  clients: number;
  seconds: number;
  oneNodePerSecond: number;
  threeNodesPerSecond: number;
  direct: Latency;
  forwarded: Latency;
}

const TOTAL_CONCURRENCY = 6;
/** Each cluster's throughput is measured over two windows of this many seconds. */
const SECONDS = 10;
const CALLS = 100;

/** Settings for every node: limits high enough that only the browsers bound the work. */
const LOAD_ENV = {
  TEAM_MAX_CONCURRENT_SCRAPES: "100",
  TEAM_RATE_LIMIT_PER_MINUTE: "100000",
  LOG_LEVEL: "error",
};

/** What the bench reads of an answer: a scrape's id. */
interface Answer {
  success?: boolean;
  data?: { metadata?: { scrapeId?: string } };
}

async function post(base: string, path: string, apiKey: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Answer;
  if (res.status !== 200 || json.success === false) {
    throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  }
  return json;
}

/** Scrapes completed per second by `TOTAL_CONCURRENCY` clients looping through a balancer. */
async function throughput(cluster: Cluster, pageUrl: string): Promise<number> {
  const balancer = await startBalancer(cluster, "round-robin");
  try {
    const { apiKey } = await cluster.createTeam(1_000_000);
    const scrape = () => post(balancer.url, "/v2/scrape", apiKey, { url: pageUrl, maxAge: 0 });
    // Warm each node's browser first: the figure is the steady state.
    await Promise.all(cluster.nodes.map(() => scrape()));
    let done = 0;
    const until = performance.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: TOTAL_CONCURRENCY }, async () => {
        while (performance.now() < until) {
          await scrape();
          done++;
        }
      }),
    );
    return done / SECONDS;
  } finally {
    await balancer.close();
  }
}

/** A scrape's session on `owner`, then `CALLS` calls sent to `owner` and to `edge`, alternating. */
async function roundTrips(
  cluster: Cluster,
  pageUrl: string,
  owner: ClusterNode,
  edge: ClusterNode,
) {
  const { apiKey } = await cluster.createTeam(1_000_000);
  const scrape = await post(owner.url, "/v2/scrape", apiKey, { url: pageUrl, maxAge: 0 });
  const path = `/v2/scrape/${scrape.data?.metadata?.scrapeId}/interact`;
  const call = (node: ClusterNode) => post(node.url, path, apiKey, { code: "await page.title()" });
  await call(owner); // starts the session on the owner
  await call(edge); // warms the edge's connection to the owner
  const direct: number[] = [];
  const forwarded: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    direct.push(...(await timeEach(1, () => call(owner))));
    forwarded.push(...(await timeEach(1, () => call(edge))));
  }
  return { direct: latency(direct), forwarded: latency(forwarded) };
}

/** Undefined when Postgres is not installed. */
export async function benchCluster(site: TestSite): Promise<ClusterBench | undefined> {
  const pageUrl = `${site.url}/article`;
  const onePostgres = startThrowawayPostgres();
  const threePostgres = startThrowawayPostgres();
  if (!onePostgres || !threePostgres) return undefined;
  const one = await startCluster({
    postgres: onePostgres,
    count: 1,
    env: { ...LOAD_ENV, SCRAPE_CONCURRENCY: String(TOTAL_CONCURRENCY) },
  });
  try {
    const three = await startCluster({
      postgres: threePostgres,
      env: { ...LOAD_ENV, SCRAPE_CONCURRENCY: String(TOTAL_CONCURRENCY / 3) },
    });
    try {
      const one1 = await throughput(one, pageUrl);
      const three1 = await throughput(three, pageUrl);
      const three2 = await throughput(three, pageUrl);
      const one2 = await throughput(one, pageUrl);
      const [owner, edge] = three.nodes;
      if (!owner || !edge) throw new Error("the cluster has fewer than two nodes");
      const trips = await roundTrips(three, pageUrl, owner, edge);
      return {
        clients: TOTAL_CONCURRENCY,
        seconds: 2 * SECONDS,
        oneNodePerSecond: (one1 + one2) / 2,
        threeNodesPerSecond: (three1 + three2) / 2,
        ...trips,
      };
    } finally {
      await three.stop();
    }
  } finally {
    await one.stop();
  }
}

export function printCluster(b: ClusterBench | undefined): void {
  console.log("cluster on Postgres (throwaway, fsync off), behind the test balancer");
  if (!b) return console.log("  skipped: Postgres is not installed\n");
  console.log(
    `  /v2/scrape throughput, ${b.clients} clients for ${b.seconds} s each (two windows, mirrored), total SCRAPE_CONCURRENCY ${TOTAL_CONCURRENCY}`,
  );
  console.log(`  one node                           ${fmt(b.oneNodePerSecond, 2)} scrapes/s`);
  console.log(`  three nodes                        ${fmt(b.threeNodesPerSecond, 2)} scrapes/s`);
  console.log(
    `  ratio three / one                  ${fmt(b.threeNodesPerSecond / b.oneNodePerSecond, 2)}   [>= 0.9]`,
  );
  console.log(`  interact \`await page.title()\`, ${CALLS} calls each`);
  console.log(
    `  to the owner                       p50 ${fmt(b.direct.p50)} ms   p95 ${fmt(b.direct.p95)} ms`,
  );
  console.log(
    `  forwarded by another node          p50 ${fmt(b.forwarded.p50)} ms   p95 ${fmt(b.forwarded.p95)} ms`,
  );
  console.log(
    `  forwarding adds p50                ${fmt(b.forwarded.p50 - b.direct.p50, 2)} ms   [<= +2 ms]\n`,
  );
}

if (import.meta.main) await aloneWithSite(async (site) => printCluster(await benchCluster(site)));
