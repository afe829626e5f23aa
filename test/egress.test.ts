// Every way out of Skiff's browsers goes through the egress proxy, and the proxy refuses what the
// policy refuses. Real sessions in bubblewrap (their own network namespace, loopback only), real
// Chromium, the local test site on loopback; names resolve through the harness's test resolver
// (everything but *.invalid is 127.0.0.1), so "a name that resolves to loopback" is any name.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { postJson, useSkiffAndSite, type RunningSkiff } from "./helpers/skiff-harness.ts";

const skip = existsSync("/usr/bin/bwrap") ? false : "bubblewrap (/usr/bin/bwrap) is not installed";
const BLOCKED = "Blocked insecure target URL";

/** The API's own port: never reachable from a browser, whatever the policy. */
const apiPort = (server: RunningSkiff) => new URL(server.url).port;

async function scrape(server: RunningSkiff, url: string) {
  const reply = await postJson(`${server.url}/v2/scrape`, { url, formats: ["markdown"] });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body.data as { markdown: string; metadata: Record<string, any> };
}

/** Runs node code in the scrape's session and returns its `result`, parsed as JSON. */
async function run<T>(server: RunningSkiff, scrapeId: string, code: string): Promise<T> {
  const reply = await postJson(`${server.url}/v2/scrape/${scrapeId}/interact`, { code });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.equal(reply.body.success, true, reply.body.error);
  return JSON.parse(String(reply.body.result)) as T;
}

/**
 * Probe code: `tryFetch(url)` and `tryConnect(host, port)` report how a direct attempt from
 * user code ended; `viaProxy(target)` sends CONNECT through the session's one way out (the
 * forwarder Chromium is given, found from Chromium's command line) and returns the status line.
 */
const PROBES = `const net = await import("node:net");
const fs = await import("node:fs");
const outcome = (promise) => promise.then(() => "reached", (err) => err.cause?.code ?? err.code ?? err.name);
const tryFetch = (url) => outcome(fetch(url, { signal: AbortSignal.timeout(3000) }));
const tryConnect = (host, port) => outcome(new Promise((resolve, reject) => {
  const socket = net.connect({ host, port, timeout: 3000 });
  socket.once("connect", () => { socket.destroy(); resolve(); });
  socket.once("timeout", () => { socket.destroy(); reject(Object.assign(new Error("timeout"), { code: "TIMEOUT" })); });
  socket.once("error", reject);
}));
const proxyPort = () => {
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\\d+$/.test(p))) {
    try {
      const m = /--proxy-server=http:\\/\\/127\\.0\\.0\\.1:(\\d+)/.exec(fs.readFileSync("/proc/" + pid + "/cmdline", "utf8"));
      if (m) return Number(m[1]);
    } catch {}
  }
  throw new Error("no proxy forwarder found");
};
const viaProxy = (target) => new Promise((resolve, reject) => {
  const socket = net.connect({ host: "127.0.0.1", port: proxyPort() });
  let answer = "";
  socket.on("data", (chunk) => { answer += chunk; if (answer.includes("\\r\\n")) { socket.destroy(); resolve(answer.split("\\r\\n")[0]); } });
  socket.on("error", reject);
  socket.write("CONNECT " + target + " HTTP/1.1\\r\\nHost: " + target + "\\r\\n\\r\\n");
});
`;

/** How a connection from this process (the host) to 127.0.0.1:`port` ends. */
function connectFromHost(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve("reached");
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

function readRow(server: RunningSkiff, sql: string, id: string): Record<string, unknown> {
  const db = new Database(path.join(server.dataDir, "skiff.db"), { readonly: true });
  try {
    return db.prepare(sql).get(id) as Record<string, unknown>;
  } finally {
    db.close();
  }
}

describe("egress with private targets refused (the default)", { skip }, () => {
  const t = useSkiffAndSite({
    SANDBOX: "bwrap",
    ALLOW_PRIVATE_TARGETS: "false",
    SESSION_WARM_POOL: "2",
  });

  it("a scrape of the loopback site, or of a name that resolves to loopback, is blocked", async () => {
    for (const url of [
      `${t.site.url}/article`,
      `http://sneaky.test:${new URL(t.site.url).port}/`,
    ]) {
      const doc = await scrape(t.server, url);
      assert.equal(doc.metadata.statusCode, 403, url);
      assert.equal(doc.metadata.error, BLOCKED, url);
    }
  });

  it("node code has no way out but the proxy, and the proxy refuses private targets", async (t2) => {
    const [a, b] = await Promise.all([
      scrape(t.server, `${t.site.url}/article`),
      scrape(t.server, `${t.site.url}/form`),
    ]);
    const ownCdp = `Number(fs.readFileSync("/tmp/" + fs.readdirSync("/tmp").find((n) => n.startsWith("skiff-cdp-")) + "/DevToolsActivePort", "utf8").split("\\n")[0])`;
    const bCdp = await run<number>(t.server, b.metadata.scrapeId, `${PROBES} ${ownCdp}`);
    const port = apiPort(t.server);
    const probes = await run<Record<string, string>>(
      t.server,
      a.metadata.scrapeId,
      `${PROBES}
      ({
        ownCdp: await tryConnect("127.0.0.1", ${ownCdp}),
        fetchApi: await tryFetch("http://127.0.0.1:${port}/v0/health/liveness"),
        connectApi: await tryConnect("127.0.0.1", ${port}),
        otherCdp: await tryConnect("127.0.0.1", ${bCdp}),
        fetchV6: await tryFetch("http://[::1]:${port}/"),
        connectV6: await tryConnect("::1", ${port}),
        fetchMetadata: await tryFetch("http://169.254.169.254/latest/meta-data/"),
        connectMetadata: await tryConnect("169.254.169.254", 80),
        fetchPrivate: await tryFetch("http://10.0.0.1/"),
        connectPrivate: await tryConnect("10.0.0.1", 80),
        proxyApi: await viaProxy("127.0.0.1:${port}"),
        proxyMetadata: await viaProxy("169.254.169.254:80"),
        proxyPrivate: await viaProxy("10.0.0.1:443"),
        proxyName: await viaProxy("sneaky.test:443"),
      })`,
    );
    t2.diagnostic(JSON.stringify(probes));
    assert.equal(
      await connectFromHost(bCdp),
      "ECONNREFUSED",
      "a session's CDP port is not on the host",
    );
    assert.equal(probes.ownCdp, "reached", "the probe works: its own browser's CDP port answers");
    const outs = Object.entries(probes).filter(([way]) => way !== "ownCdp");
    for (const [way, result] of outs) {
      if (way.startsWith("proxy")) assert.match(result, /^HTTP\/1\.1 403/, way);
      else assert.notEqual(result, "reached", `${way}: ${result}`);
    }
  });

  it("a navigation in a session to a refused target fails, naming the policy", async () => {
    const doc = await scrape(t.server, `${t.site.url}/tabs`);
    const seen = await run<Record<string, string>>(
      t.server,
      doc.metadata.scrapeId,
      `const plain = await page.goto(${JSON.stringify(`${t.site.url}/article`)});
      const text = await page.innerText("body");
      const tls = await page.goto(${JSON.stringify(`${t.site.httpsUrl}/`)}).then(() => "loaded", (e) => e.message);
      ({ status: String(plain.status()), header: plain.headers()["x-skiff-egress-refused"], text, tls })`,
    );
    assert.equal(seen.status, "403");
    assert.match(seen.header ?? "", /resolves to 127\.0\.0\.1, a private address/);
    assert.match(seen.text ?? "", /Blocked by Skiff's egress policy/);
    assert.match(seen.tls ?? "", /net::ERR_TUNNEL_CONNECTION_FAILED/);
    assert.ok(t.server.skiff.egress.refusals >= 2, "refusals are counted");
  });

  it("readiness fails once the proxy is down", async () => {
    const ready = async () => {
      const res = await fetch(`${t.server.url}/v0/health/readiness`);
      return [res.status, (await res.json()) as unknown];
    };
    assert.deepEqual(await ready(), [200, { status: "ok" }]);
    await t.server.skiff.egress.close();
    assert.deepEqual(await ready(), [503, { status: "egress proxy down" }]);
  });
});

describe("egress with private targets allowed", { skip }, () => {
  const t = useSkiffAndSite({ SANDBOX: "bwrap", SESSION_WARM_POOL: "1" });
  const redirectTo = (target: string) =>
    `${t.site.url}/redirect-to?to=${encodeURIComponent(target)}`;

  it("reaches the local site, and keeps the bytes with the scrape's row", async () => {
    const doc = await scrape(t.server, `${t.site.url}/article`);
    assert.equal(doc.metadata.statusCode, 200);
    const row = readRow(
      t.server,
      "SELECT bytes_in, bytes_out FROM scrapes WHERE id = ?",
      doc.metadata.scrapeId,
    );
    assert.ok(Number(row.bytes_in) > 1000, `bytes in: ${String(row.bytes_in)}`);
    assert.ok(Number(row.bytes_out) > 100, `bytes out: ${String(row.bytes_out)}`);
  });

  it("never reaches Skiff's own port: directly, by a redirect, over http or https", async () => {
    const port = apiPort(t.server);
    for (const url of [
      `http://127.0.0.1:${port}/v0/health/liveness`,
      redirectTo(`http://127.0.0.1:${port}/v0/health/liveness`),
      redirectTo(`https://localhost:${port}/`),
    ]) {
      const doc = await scrape(t.server, url);
      assert.equal(doc.metadata.statusCode, 403, url);
      assert.equal(doc.metadata.error, BLOCKED, url);
    }
  });

  it("a session reaches the site but not Skiff's port, and its bytes are kept", async () => {
    const doc = await scrape(t.server, `${t.site.url}/article`);
    const id = String(doc.metadata.scrapeId);
    const port = apiPort(t.server);
    const seen = await run<Record<string, string>>(
      t.server,
      id,
      `${PROBES}
      const site = await page.goto(${JSON.stringify(`${t.site.url}/form`)});
      const api = await page.goto(${JSON.stringify(redirectTo(`http://127.0.0.1:${port}/`))});
      ({ site: String(site.status()), api: String(api.status()), header: api.headers()["x-skiff-egress-refused"], proxyApi: await viaProxy("localhost:${port}") })`,
    );
    assert.equal(seen.site, "200");
    assert.equal(seen.api, "403");
    assert.match(seen.header ?? "", /one of Skiff's own ports/);
    assert.match(seen.proxyApi ?? "", /^HTTP\/1\.1 403/);
    const stop = await fetch(`${t.server.url}/v2/scrape/${id}/interact`, { method: "DELETE" });
    assert.equal(stop.status, 200);
    const row = readRow(t.server, "SELECT bytes_in FROM sessions WHERE scrape_id = ?", id);
    assert.ok(Number(row.bytes_in) > 1000, `session bytes in: ${String(row.bytes_in)}`);
  });
});
