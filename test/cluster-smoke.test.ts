// Three real Skiff nodes (separate processes) on one Postgres, behind a balancer: the official JS
// SDK scrapes through it and each node serves one of three scrapes; every node tells the team the
// same credit usage; a session's calls and its CDP WebSocket work whichever node they reach;
// stopping the cluster leaves no process of any node running, and with no node up an interact call
// is a 503 (never a 502, which the SDK would rerun). The balancer is the test's own node:http one,
// or with SKIFF_CLUSTER_BALANCER=nginx, Debian's nginx running docs/scale-out.nginx.conf
// (bench/cluster-nginx.sh).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Firecrawl from "@mendable/firecrawl-js";
import { chromium } from "playwright-core";
import { startBalancer, type Balancer } from "./cluster/balancer.ts";
import { startNginx } from "./cluster/nginx.ts";
import { startCluster, type Cluster } from "./cluster/nodes.ts";
import { startTestSite, type TestSite } from "./fixtures/site/test-site.ts";
import { startThrowawayPostgres } from "./helpers/throwaway-postgres.ts";

const postgres = startThrowawayPostgres();

if (!postgres) {
  const why = "Postgres is not installed (./skiff installs it as root; CI requires it)";
  console.warn(`SKIPPED: a cluster of three nodes: ${why}`);
  void it.skip(`a cluster of three nodes: ${why}`);
} else {
  let cluster: Cluster;
  let balancer: Balancer;
  let site: TestSite;
  let apiKey: string;
  before(async () => {
    site = await startTestSite();
    cluster = await startCluster({ postgres });
    balancer =
      process.env.SKIFF_CLUSTER_BALANCER === "nginx"
        ? await startNginx(cluster)
        : await startBalancer(cluster, "round-robin");
    ({ apiKey } = await cluster.createTeam(100));
  });
  after(async () => {
    await balancer?.close();
    await cluster?.stop();
    await site?.close();
  });

  describe("a cluster of three nodes behind a balancer", () => {
    it("the SDK's scrapes go round the three nodes, each answering the page", async () => {
      const sdk = new Firecrawl({ apiUrl: balancer.url, apiKey });
      balancer.resetHits();
      for (let i = 0; i < 3; i++) {
        const doc = await sdk.scrape(`${site.url}/article`, { formats: ["markdown"], maxAge: 0 });
        assert.match(doc.markdown ?? "", /known content/);
        assert.equal(doc.metadata?.title, "Skiff Test Article");
      }
      assert.deepEqual(balancer.hits, [1, 1, 1]);
    });

    it("every node tells the team the same credit usage", async () => {
      const usages = await Promise.all(
        cluster.nodes.map(async (node) => {
          const res = await fetch(`${node.url}/v2/team/credit-usage`, {
            headers: { authorization: `Bearer ${apiKey}` },
          });
          assert.equal(res.status, 200);
          return ((await res.json()) as { data: unknown }).data;
        }),
      );
      assert.deepEqual(usages[0], {
        remainingCredits: 97,
        planCredits: 100,
        billingPeriodStart: null,
        billingPeriodEnd: null,
      });
      assert.deepEqual(usages[1], usages[0]);
      assert.deepEqual(usages[2], usages[0]);
    });

    it("each node is registered in Postgres at its internal port", async () => {
      const ids = await Promise.all(cluster.nodes.map((node) => cluster.nodeIdOf(node)));
      assert.equal(new Set(ids.filter(Boolean)).size, 3);
      for (const [i, id] of ids.entries()) {
        assert.equal(await cluster.nodeOfId(id ?? ""), cluster.nodes[i]);
      }
    });

    it("a session's calls and its CDP WebSocket work whichever node the balancer picks", async () => {
      const sdk = new Firecrawl({ apiUrl: balancer.url, apiKey });
      const doc = await sdk.scrape(`${site.url}/article`, { formats: ["markdown"], maxAge: 0 });
      const scrapeId = String(doc.metadata?.scrapeId);
      balancer.resetHits();
      const calls = [];
      for (let i = 1; i <= 3; i++) {
        const code = `globalThis.calls = (globalThis.calls ?? 0) + 1; globalThis.calls`;
        calls.push(await sdk.interact(scrapeId, { code }));
      }
      // One session kept its state across three calls that reached three different nodes.
      assert.deepEqual(
        calls.map((c) => c.result),
        ["1", "2", "3"],
      );
      assert.deepEqual(balancer.hits, [1, 1, 1]);
      const cdpUrl = String(calls[0]?.cdpUrl);
      assert.ok(cdpUrl.startsWith(balancer.url.replace("http", "ws")), cdpUrl);
      const browser = await chromium.connectOverCDP(cdpUrl, { timeout: 15_000 });
      try {
        const page = browser.contexts()[0]?.pages()[0];
        assert.equal(await page?.title(), "Skiff Test Article");
      } finally {
        await browser.close();
      }
      const stopped = await sdk.stopInteraction(scrapeId);
      assert.equal(stopped.success, true);
    });

    it("stopping the cluster leaves no process of any node running", async () => {
      // Each node runs a browser at least, so there is something that could outlive it.
      for (const node of cluster.nodes) assert.ok(node.processes().length > 0);
      assert.deepEqual(await cluster.stop(), []);
      for (const node of cluster.nodes) {
        assert.equal(node.running, false);
        assert.throws(() => process.kill(node.pid, 0), { code: "ESRCH" });
      }
      assert.deepEqual(cluster.leftovers(), []);
    });

    it("with no node up, an interact call through the balancer is a 503, never a 502", async () => {
      const res = await fetch(`${balancer.url}/v2/scrape/${crypto.randomUUID()}/interact`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ code: "1" }),
      });
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { success: boolean }).success, false);
    });
  });
}
