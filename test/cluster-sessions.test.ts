// Sessions in a cluster of three real nodes on one Postgres (issue 16), driven by the official JS
// SDK: a session lives on one node and any node serves its calls (interact with page state carried
// across nodes, stop, 410 everywhere after), its cdpUrl and live view through a node that does not
// run it, a profile saved on one node and loaded on another, a team's session limit and rate limit
// held across nodes, one session for two racing first calls, no way from a session to a node's
// internal port, and an internal port that runs nothing without a fresh hop signed with the
// cluster's secret. One cluster serves every test; each test has a team of its own.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import Firecrawl from "@mendable/firecrawl-js";
import { chromium } from "playwright-core";
import { WebSocket } from "ws";
import { HOP_HEADER, signHop } from "../src/cluster/hop.ts";
import { startBalancer, type Balancer } from "./cluster/balancer.ts";
import { startCluster, type Cluster, type ClusterNode } from "./cluster/nodes.ts";
import { startTestSite, type TestSite } from "./fixtures/site/test-site.ts";
import { logInToProfile, sdkError } from "./helpers/interact-client.ts";
import { startThrowawayPostgres } from "./helpers/throwaway-postgres.ts";

/** Chosen here, so that the tests can sign hops (fresh, stale, forged) as a node would. */
const CLUSTER_SECRET = randomBytes(32).toString("hex");
const TEAM_SESSIONS = 5;
const RATE_PER_MINUTE = 30;
const DESTROYED = "Browser session has been destroyed.";
/** Adds one to a counter kept in the session's page; the result is the new count. */
const BUMP = "await page.evaluate(() => (window.skiffCount = (window.skiffCount ?? 0) + 1))";

type InteractReply = Awaited<ReturnType<Firecrawl["interact"]>> & { sessionId?: string };

const postgres = startThrowawayPostgres();

if (!postgres) {
  const why = "Postgres is not installed (./skiff installs it as root; CI requires it)";
  console.warn(`SKIPPED: sessions across a cluster of three nodes: ${why}`);
  void it.skip(`sessions across a cluster of three nodes: ${why}`);
} else {
  let cluster: Cluster;
  let balancer: Balancer;
  let site: TestSite;
  before(async () => {
    site = await startTestSite();
    cluster = await startCluster({
      postgres,
      env: {
        CLUSTER_SECRET,
        TEAM_MAX_CONCURRENT_SESSIONS: String(TEAM_SESSIONS),
        // Above the starts one node gets in the team-limit test, so that the team's limit binds.
        MAX_CONCURRENT_SESSIONS: "10",
        // Every team's; each test's team stays under it but the rate-limit test's.
        TEAM_RATE_LIMIT_PER_MINUTE: String(RATE_PER_MINUTE),
      },
    });
    balancer = await startBalancer(cluster, "never-owner");
  });
  after(async () => {
    await balancer?.close();
    await cluster?.stop();
    await site?.close();
  });

  const sdkAt = (url: string, apiKey: string) => new Firecrawl({ apiUrl: url, apiKey });
  const othersThan = (node: ClusterNode) => cluster.nodes.filter((n) => n !== node);

  /** Scrapes `path` of the test site and returns the scrape's id. */
  async function scrape(sdk: Firecrawl, path: string): Promise<string> {
    const doc = await sdk.scrape(`${site.url}${path}`, { formats: ["markdown"], maxAge: 0 });
    assert.ok(doc.metadata?.scrapeId, "the scrape has an id");
    return doc.metadata.scrapeId;
  }

  /** One interact call that must succeed (the SDK throws on any status but 200). */
  async function interact(sdk: Firecrawl, scrapeId: string, code: string): Promise<InteractReply> {
    const reply: InteractReply = await sdk.interact(scrapeId, { code });
    assert.equal(reply.success, true, reply.error);
    return reply;
  }

  /** The node whose row names it as running the scrape's session. */
  async function ownerOf(scrapeId: string): Promise<ClusterNode> {
    const rows = await cluster.query<{ node_id: string }>(
      "SELECT node_id FROM sessions WHERE scrape_id = $1",
      [scrapeId],
    );
    const node = rows[0] && (await cluster.nodeOfId(rows[0].node_id));
    assert.ok(node, `the session of scrape ${scrapeId} runs on a node of the cluster`);
    return node;
  }

  /** `url` with its host and port those of `node`'s public port. */
  function through(url: string, node: ClusterNode): string {
    const moved = new URL(url);
    moved.host = `127.0.0.1:${node.port}`;
    return moved.toString();
  }

  /** Which node indexes the balancer sent requests to since `resetHits`. */
  const hitNodes = () => balancer.hits.flatMap((hits, index) => (hits > 0 ? [index] : []));

  describe("sessions across a cluster of three nodes", () => {
    it("carries page state over interact calls on every node; stops from a fourth; 410 on all", async () => {
      const { apiKey } = await cluster.createTeam();
      const viaBalancer = sdkAt(balancer.url, apiKey);
      balancer.mode = "never-owner";
      const scrapeId = await scrape(viaBalancer, "/article");
      // No session yet, so nothing to avoid: the first call starts one where it lands.
      balancer.resetHits();
      assert.equal((await interact(viaBalancer, scrapeId, BUMP)).result, "1");
      const owner = await ownerOf(scrapeId);
      assert.deepEqual(hitNodes(), [owner.index], "the first call started the session");
      balancer.resetHits();
      assert.equal((await interact(viaBalancer, scrapeId, BUMP)).result, "2");
      assert.equal((await interact(viaBalancer, scrapeId, BUMP)).result, "3");
      const others = othersThan(owner);
      assert.equal(balancer.hits[owner.index], 0, "the owner got no call through the balancer");
      assert.deepEqual(
        hitNodes(),
        others.map((n) => n.index),
      );

      const [stopper] = others;
      assert.ok(stopper);
      const stopped = await sdkAt(stopper.url, apiKey).stopInteraction(scrapeId);
      assert.equal(stopped.success, true);
      assert.equal(stopped.creditsBilled, 2, "a short session costs one browser-minute");
      const [row] = await cluster.query(
        "SELECT status, end_reason FROM sessions WHERE scrape_id = $1",
        [scrapeId],
      );
      assert.deepEqual({ ...row }, { status: "destroyed", end_reason: "deleted" });
      for (const node of cluster.nodes) {
        const gone = await sdkError(sdkAt(node.url, apiKey).interact(scrapeId, { code: BUMP }));
        assert.deepEqual([gone.status, gone.message], [410, DESTROYED], `node ${node.index}`);
      }
    });

    it("serves a session's cdpUrl and live view through nodes that do not run it", async () => {
      const { apiKey } = await cluster.createTeam();
      const sdk = sdkAt(cluster.nodes[0]?.url ?? "", apiKey);
      const scrapeId = await scrape(sdk, "/tabs");
      const set = await interact(
        sdk,
        scrapeId,
        `await page.evaluate(() => (document.title = "set by interact"))`,
      );
      const [viaCdp, viaLive] = othersThan(await ownerOf(scrapeId));
      assert.ok(viaCdp && viaLive);

      const browser = await chromium.connectOverCDP(through(String(set.cdpUrl), viaCdp), {
        timeout: 15_000,
      });
      try {
        const pages = browser.contexts().flatMap((c) => c.pages());
        const page = pages.find((p) => p.url().endsWith("/tabs"));
        assert.ok(page, `the session's tab among ${pages.map((p) => p.url()).join(", ")}`);
        assert.equal(await page.title(), "set by interact");
      } finally {
        await browser.close();
      }

      const viewer = through(String(set.liveViewUrl), viaLive);
      const viewerPage = await fetch(viewer);
      assert.equal(viewerPage.status, 200);
      assert.match(await viewerPage.text(), /<html/i);
      const frame = await firstFrame(`${viewer.replace(/^http/, "ws")}/ws`);
      assert.equal(frame.url, `${site.url}/tabs`);
      assert.ok(frame.width > 0, `frame width ${frame.width}`);
      assert.deepEqual([...frame.jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff], "a JPEG");
      await sdk.stopInteraction(scrapeId);
    });

    it("loads on one node a profile that a session saved on another", async () => {
      const { teamId, apiKey } = await cluster.createTeam();
      const [saver, loader] = cluster.nodes;
      assert.ok(saver && loader);
      await logInToProfile(sdkAt(saver.url, apiKey), site.url, "cluster-ada");
      const writers = await cluster.query<{ node_id: string; status: string }>(
        "SELECT node_id, status FROM sessions WHERE team_id = $1 AND profile_writer = $2",
        [teamId, "cluster-ada"],
      );
      assert.equal(writers.length, 1);
      assert.equal(writers[0]?.status, "destroyed");
      assert.equal(await cluster.nodeOfId(writers[0]?.node_id ?? ""), saver);
      const doc = await sdkAt(loader.url, apiKey).scrape(`${site.url}/dashboard`, {
        formats: ["markdown"],
        profile: { name: "cluster-ada", saveChanges: false },
      });
      assert.match(doc.markdown ?? "", /Welcome back, ada/, "the cookie came across");
      assert.match(doc.markdown ?? "", /hello ada/, "localStorage came across");
    });

    it(`holds a team to ${TEAM_SESSIONS} sessions over 20 starts spread over the nodes`, async () => {
      const { teamId, apiKey } = await cluster.createTeam();
      const starts = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          sdkAt(cluster.nodes[i % cluster.nodes.length]?.url ?? "", apiKey).browser({ ttl: 60 }),
        ),
      );
      const opened = starts.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
      const refused = starts.flatMap((s) =>
        s.status === "rejected" ? [s.reason as { status?: number; message: string }] : [],
      );
      try {
        assert.equal(opened.length, TEAM_SESSIONS, JSON.stringify(refused));
        assert.equal(refused.length, 20 - TEAM_SESSIONS);
        for (const r of refused) {
          assert.equal(r.status, 429, r.message);
          assert.match(r.message, /maximum number of concurrent jobs \(5\)/);
        }
        const active = await cluster.query<{ n: string }>(
          "SELECT COUNT(*) AS n FROM sessions WHERE team_id = $1 AND status = 'active'",
          [teamId],
        );
        assert.equal(Number(active[0]?.n), TEAM_SESSIONS);
      } finally {
        const sdk = sdkAt(cluster.nodes[0]?.url ?? "", apiKey);
        await Promise.all(opened.map((s) => sdk.deleteBrowser(String(s.id))));
      }
    });

    it("starts one session for a scrape whose first calls reach two nodes at once", async () => {
      const { apiKey } = await cluster.createTeam();
      const [, first, second] = cluster.nodes;
      assert.ok(first && second);
      const scrapeId = await scrape(sdkAt(cluster.nodes[0]?.url ?? "", apiKey), "/article");
      const replies = await Promise.all(
        [first, second].map((node) => interact(sdkAt(node.url, apiKey), scrapeId, BUMP)),
      );
      const rows = await cluster.query<{ id: string; node_id: string }>(
        "SELECT id, node_id FROM sessions WHERE scrape_id = $1",
        [scrapeId],
      );
      assert.equal(rows.length, 1, JSON.stringify(rows));
      assert.ok(rows[0]);
      assert.deepEqual(
        replies.map((r) => r.sessionId),
        [rows[0].id, rows[0].id],
      );
      assert.deepEqual(replies.map((r) => r.result).sort(), ["1", "2"], "one page, bumped twice");
      assert.ok([first, second].includes(await ownerOf(scrapeId)));
      await sdkAt(first.url, apiKey).stopInteraction(scrapeId);
    });

    it("keeps a session's browser off every node's internal port, not off the test site", async () => {
      const { apiKey } = await cluster.createTeam();
      const sdk = sdkAt(cluster.nodes[0]?.url ?? "", apiKey);
      const scrapeId = await scrape(sdk, "/article");
      const probe = (url: string) =>
        `await page.goto(${JSON.stringify(url)}).then(
          (r) => ({ status: r.status(), refused: r.headers()["x-skiff-egress-refused"] ?? null }),
          (e) => ({ error: e.message.split("\\n")[0] }))`;
      const ports = cluster.nodes.map((n) => n.internalPort);
      const reply = await interact(
        sdk,
        scrapeId,
        // The failed tunnel comes last: its error page would interrupt a navigation after it.
        `({
          internal: [${ports.map((p) => probe(`http://127.0.0.1:${p}/v0/health/liveness`)).join(", ")}],
          site: ${probe(`${site.url}/form`)},
          tunnel: ${probe(`https://127.0.0.1:${ports[1]}/`)},
        })`,
      );
      const seen = JSON.parse(String(reply.result)) as Record<string, any>;
      assert.equal((await ownerOf(scrapeId)).index, 0);
      assert.deepEqual(
        seen.internal,
        ports.map((port) => ({
          status: 403,
          refused: `127.0.0.1:${port} is a Skiff node's internal port`,
        })),
      );
      assert.match(String(seen.tunnel.error), /net::ERR_TUNNEL_CONNECTION_FAILED/);
      assert.deepEqual(seen.site, { status: 200, refused: null });
      await sdk.stopInteraction(scrapeId);
    });

    it("runs nothing on the internal port without a fresh hop signed with the secret", async () => {
      const { teamId, apiKey } = await cluster.createTeam();
      const [origin, target] = cluster.nodes;
      assert.ok(origin && target);
      const originId = (await cluster.nodeIdOf(origin)) ?? "";
      const call = { method: "POST", path: "/v2/scrape" };
      const pageUrl = `${site.url}/article?probe=${randomUUID()}`;
      const send = (hop?: string) =>
        fetch(`http://127.0.0.1:${target.internalPort}${call.path}`, {
          method: call.method,
          headers: {
            authorization: `Bearer ${apiKey}`,
            "content-type": "application/json",
            ...(hop === undefined ? {} : { [HOP_HEADER]: hop }),
          },
          body: JSON.stringify({ url: pageUrl, formats: ["markdown"], maxAge: 0 }),
        });
      const refusedHops = {
        none: undefined,
        forged: signHop(randomBytes(32).toString("hex"), originId, call),
        stale: signHop(CLUSTER_SECRET, originId, call, Date.now() - 60_000),
        otherCall: signHop(CLUSTER_SECRET, originId, {
          method: "GET",
          path: "/v2/team/credit-usage",
        }),
      };
      for (const [why, hop] of Object.entries(refusedHops)) {
        const res = await send(hop);
        assert.equal(res.status, 401, why);
        assert.deepEqual(await res.json(), {
          success: false,
          code: "UNAUTHORIZED",
          error:
            "This port takes only calls forwarded by a Skiff node, signed with the cluster's secret.",
        });
      }
      /** What a scrape leaves: the team's scrape rows, its ledger, a fetch of the page. */
      const traces = async () => ({
        scrapes: (await cluster.query("SELECT id FROM scrapes WHERE team_id = $1", [teamId]))
          .length,
        ledger: await cluster.query(
          "SELECT reason, delta::int AS delta FROM credit_ledger WHERE team_id = $1 ORDER BY id",
          [teamId],
        ),
        pageFetched: site.requests.some((r) => pageUrl.endsWith(r.path)),
      });
      const grant = { reason: "grant", delta: 1000 };
      assert.deepEqual(await traces(), { scrapes: 0, ledger: [grant], pageFetched: false });

      const fresh = await send(signHop(CLUSTER_SECRET, originId, call));
      assert.equal(fresh.status, 200);
      const body = (await fresh.json()) as { data: { markdown: string } };
      assert.match(body.data.markdown, /known content/);
      assert.deepEqual(await traces(), {
        scrapes: 1,
        ledger: [grant, { reason: "scrape", delta: -1 }],
        pageFetched: true,
      });
    });

    it(`holds a team to ${RATE_PER_MINUTE} requests a minute over three nodes: 45 sent, 30 pass`, async () => {
      const { apiKey } = await cluster.createTeam();
      balancer.mode = "round-robin";
      balancer.resetHits();
      const answers = await Promise.all(
        Array.from({ length: 45 }, () =>
          fetch(`${balancer.url}/v2/team/credit-usage`, {
            headers: { authorization: `Bearer ${apiKey}` },
          }).then(async (res) => ({
            status: res.status,
            body: (await res.json()) as { success?: boolean; error?: string },
          })),
        ),
      );
      assert.deepEqual(balancer.hits, [15, 15, 15]);
      const statuses = answers.map((a) => a.status);
      assert.equal(
        statuses.filter((s) => s === 200).length,
        RATE_PER_MINUTE,
        JSON.stringify(statuses),
      );
      const limited = answers.filter((a) => a.status === 429);
      assert.equal(limited.length, 45 - RATE_PER_MINUTE);
      for (const { body } of limited) {
        assert.equal(body.success, false);
        assert.match(String(body.error), /^Rate limit exceeded\. Consumed \(req\/min\): \d+/);
      }
    });
  });
}

/** The first frame a live view's socket sends: the page's URL, the image's width and bytes. */
function firstFrame(socketUrl: string): Promise<{ url: string; width: number; jpeg: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(socketUrl);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.terminate();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`no frame from ${socketUrl} in 15 s`)), 15_000);
    socket.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString("utf8")) as Record<string, any>;
      if (message.type !== "frame") return;
      clearTimeout(timer);
      socket.close();
      resolve({
        url: String(message.url),
        width: Number(message.width),
        jpeg: Buffer.from(String(message.data), "base64"),
      });
    });
    socket.on("unexpected-response", (_request, response) =>
      fail(new Error(`the live view's socket answered ${response.statusCode}`)),
    );
    socket.on("error", fail);
  });
}
