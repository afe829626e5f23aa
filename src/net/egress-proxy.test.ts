import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import {
  EgressProxy,
  REFUSAL_HEADER,
  type PeerEndpoint,
  type ProxyListener,
} from "./egress-proxy.ts";
import type { Resolver } from "./target-policy.ts";

/** A local HTTP server that counts what reaches it (connections and requests) and echoes. */
interface Upstream {
  server: http.Server;
  port: number;
  hits: number;
}

async function startUpstream(): Promise<Upstream> {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += String(chunk)));
    req.on("end", () => res.end(`${req.method} ${req.url} host=${req.headers.host} body=${body}`));
  });
  server.on("request", () => upstream.hits++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const upstream = { server, port: (server.address() as net.AddressInfo).port, hits: 0 };
  server.on("connection", () => upstream.hits++);
  return upstream;
}

const names: Record<string, string[]> = {
  "site.test": ["127.0.0.1"],
  "rebind.test": ["127.0.0.1"],
  "mixed.test": ["93.184.216.34", "10.0.0.7"],
  "mapped.test": ["::ffff:7f00:1"],
  "empty.test": [],
};
const resolve: Resolver = (host) =>
  names[host] ? Promise.resolve(names[host]) : Promise.reject(new Error(`ENOTFOUND ${host}`));

function startProxy(
  allowPrivateTargets: boolean,
  ownPorts: number[] = [],
  peers: PeerEndpoint[] = [],
) {
  const logs: { msg: string; reason?: string; client?: string }[] = [];
  const stream = { write: (line: string) => void logs.push(JSON.parse(line)) };
  const logger = pino({ level: "warn" }, stream);
  const proxy = new EgressProxy({
    resolve,
    allowPrivateTargets,
    logger,
    ownPorts: () => ownPorts,
    peers: () => peers,
  });
  return { proxy, logs };
}

type Via = { port: number } | { socketPath: string };
const via = (l: ProxyListener, socketPath?: string): Via =>
  socketPath ? { socketPath } : { port: l.port ?? 0 };

/** An absolute-URI request through the proxy. */
function get(proxy: Via, url: string, body = "") {
  const { host } = new URL(url);
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
    (done, fail) => {
      const method = body ? "POST" : "GET";
      const headers = { host, connection: "close" };
      const req = http.request({ ...proxy, host: "127.0.0.1", path: url, method, headers });
      req.on("error", fail);
      req.on("response", (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += String(chunk)));
        res.on("end", () =>
          done({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      });
      req.end(body);
    },
  );
}

/** A raw CONNECT; once established, `send` goes through the tunnel and all until close is kept. */
function tunnel(proxy: Via, target: string, send = "") {
  return new Promise<{ head: string; rest: string; socket: net.Socket }>((done) => {
    const socket =
      "port" in proxy ? net.connect(proxy.port, "127.0.0.1") : net.connect(proxy.socketPath);
    let head = "";
    let rest = "";
    socket.on("error", () => socket.destroy());
    socket.on("close", () => done({ head, rest, socket }));
    socket.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`);
    socket.on("data", (chunk: Buffer) => {
      if (head.includes("\r\n\r\n")) return void (rest += String(chunk));
      head += String(chunk);
      if (!head.includes("\r\n\r\n")) return;
      [head, rest] = [
        head.slice(0, head.indexOf("\r\n\r\n") + 4),
        head.slice(head.indexOf("\r\n\r\n") + 4),
      ];
      if (!head.startsWith("HTTP/1.1 200")) return;
      if (send) socket.write(send);
      else done({ head, rest, socket });
    });
  });
}

const rawGet = (path: string) => `GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`;
const header = (head: string) => /x-skiff-egress-refused: (.*)\r\n/.exec(head)?.[1];

describe("EgressProxy", () => {
  let up: Upstream;
  let api: Upstream;
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-egress-"));
  before(async () => ([up, api] = await Promise.all([startUpstream(), startUpstream()])));
  after(() => {
    for (const { server } of [up, api]) server.close().closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses private, loopback, link-local and CGNAT targets, counting and logging", async (t) => {
    const { proxy, logs } = startProxy(false);
    t.after(() => proxy.close());
    const listener = await proxy.listenTcp("scrape-1");
    const hits = up.hits;
    const hosts = [
      "127.0.0.1",
      "[::1]",
      "10.1.2.3",
      "169.254.169.254",
      "100.64.0.1",
      "rebind.test",
    ];
    for (const host of hosts) {
      const { head } = await tunnel(via(listener), `${host}:${up.port}`);
      assert.match(head, /^HTTP\/1\.1 403 /, host);
      assert.match(header(head) ?? "", /private address/, host);
      const res = await get(via(listener), `http://${host}:${up.port}/x`);
      assert.equal(res.status, 403, host);
      assert.match(String(res.headers[REFUSAL_HEADER]), /private address/);
    }
    const mixed = await get(via(listener), `http://mixed.test:${up.port}/`);
    assert.match(String(mixed.headers[REFUSAL_HEADER]), /10\.0\.0\.7, a private address/);
    assert.equal(listener.counters.refusals, 2 * hosts.length + 1);
    assert.equal(proxy.refusals, 2 * hosts.length + 1);
    assert.equal(logs.filter((l) => l.msg === "egress refused").length, proxy.refusals);
    assert.equal(logs[0]?.client, "scrape-1");
    assert.equal(up.hits, hits);
    assert.deepEqual([listener.counters.bytesIn, listener.counters.bytesOut], [0, 0]);
  });

  it("refuses a name the resolver cannot resolve, naming DNS", async (t) => {
    const { proxy } = startProxy(true);
    t.after(() => proxy.close());
    const listener = await proxy.listenTcp("dns");
    for (const host of ["nowhere.test", "empty.test"]) {
      const res = await get(via(listener), `http://${host}/`);
      assert.equal(res.status, 403);
      assert.equal(res.headers[REFUSAL_HEADER], `DNS resolution failed for ${host}`);
      const { head } = await tunnel(via(listener), `${host}:443`);
      assert.equal(header(head), `DNS resolution failed for ${host}`);
    }
    assert.equal(listener.counters.refusals, 4);
  });

  it("refuses a malformed CONNECT target without crashing", async (t) => {
    const { proxy } = startProxy(true);
    t.after(() => proxy.close());
    const listener = await proxy.listenTcp("bad");
    const hits = up.hits;
    const targets = [":80", "site.test:0", "site.test:99999", "site.test:abc", "http://site.test/"];
    for (const target of [...targets, "[::1", "a:b:c", "", "site.test:80 extra"]) {
      const { head } = await tunnel(via(listener), target);
      assert.match(head, /^HTTP\/1\.1 4\d\d /, target);
    }
    // No port: today it means 443 (nothing listens there, so 502), never a tunnel.
    for (const target of ["site.test", "127.0.0.1"]) {
      const { head } = await tunnel(via(listener), target);
      assert.doesNotMatch(head, /^HTTP\/1\.1 200 /, target);
    }
    assert.equal(up.hits, hits);
    assert.equal((await get(via(listener), `http://site.test:${up.port}/ok`)).status, 200);
  });

  describe("with allowPrivateTargets", () => {
    it("forwards a plain-HTTP request and counts its bytes", async (t) => {
      const { proxy } = startProxy(true);
      t.after(() => proxy.close());
      const listener = await proxy.listenTcp("s");
      const hits = up.hits;
      const res = await get(via(listener), `http://site.test:${up.port}/p?q=1`, "hello");
      assert.equal(res.status, 200);
      assert.equal(res.body, `POST /p?q=1 host=site.test:${up.port} body=hello`);
      assert.ok(up.hits > hits);
      // Bodies at least; message heads may be counted too, but not more than a few hundred bytes.
      const { bytesIn, bytesOut, refusals } = listener.counters;
      assert.ok(bytesIn >= res.body.length && bytesIn < res.body.length + 500, `in ${bytesIn}`);
      assert.ok(bytesOut >= 5 && bytesOut < 5 + 500, `out ${bytesOut}`);
      assert.equal(refusals, 0);
    });

    const hangUp = "drops a plain-HTTP request's upstream when its client hangs up first";
    it(hangUp, { timeout: 5_000 }, async (t) => {
      const { proxy } = startProxy(true);
      t.after(() => proxy.close());
      const listener = await proxy.listenTcp("s");
      let arrived!: () => void;
      const arrival = new Promise<void>((resolve) => (arrived = resolve));
      const upstreamClosed = new Promise<boolean>((resolve) => {
        const slow = http.createServer((_req, res) => {
          arrived();
          res.on("close", () => resolve(res.writableFinished));
        });
        t.after(() => slow.close().closeAllConnections());
        slow.listen(0, "127.0.0.1", () => {
          const { port } = slow.address() as net.AddressInfo;
          const req = http.request({
            ...via(listener),
            host: "127.0.0.1",
            path: `http://site.test:${port}/never-answered`,
            headers: { host: `site.test:${port}` },
          });
          req.on("error", () => {});
          req.end();
          void arrival.then(() => req.destroy());
        });
      });
      assert.equal(await upstreamClosed, false, "the upstream request closed, unanswered");
    });

    it("tunnels CONNECT both ways and counts its bytes", async (t) => {
      const { proxy } = startProxy(true);
      t.after(() => proxy.close());
      const listener = await proxy.listenTcp("s");
      const request = rawGet("/through");
      const { head, rest } = await tunnel(via(listener), `site.test:${up.port}`, request);
      assert.equal(head, "HTTP/1.1 200 Connection Established\r\n\r\n");
      assert.match(rest, /^HTTP\/1\.1 200 OK\r\n[^]*GET \/through host=x body=$/);
      assert.deepEqual(listener.counters, {
        bytesIn: Buffer.byteLength(rest),
        bytesOut: Buffer.byteLength(request),
        refusals: 0,
      });
    });

    it("still refuses Skiff's own ports and the proxy's own listener", async (t) => {
      const { proxy } = startProxy(true, [api.port]);
      t.after(() => proxy.close());
      const listener = await proxy.listenTcp("s");
      const other = await proxy.listenTcp("other");
      const ports = [api.port, listener.port, other.port];
      const hosts = ["127.0.0.1", "site.test", "[::ffff:127.0.0.1]", "mapped.test", "0.0.0.0"];
      for (const port of ports) {
        for (const host of hosts) {
          const { head } = await tunnel(via(listener), `${host}:${port}`, rawGet("/"));
          assert.match(header(head) ?? "", /one of Skiff's own ports/, `${host}:${port}`);
          const res = await get(via(listener), `http://${host}:${port}/`);
          assert.match(String(res.headers[REFUSAL_HEADER]), /own ports/, `${host}:${port}`);
        }
      }
      assert.equal(api.hits, 0);
      assert.equal(listener.counters.refusals, ports.length * hosts.length * 2);
      assert.equal(other.counters.refusals, 0);
    });

    it("refuses the cluster's internal ports on any address that reaches them, not other ports", async (t) => {
      // `api` stands for this node's internal listener, a peer on 10.0.0.7 for another node's.
      const peers = [
        { address: "127.0.0.1", port: api.port },
        { address: "10.0.0.7", port: up.port + 1 },
      ];
      const { proxy } = startProxy(true, [], peers);
      t.after(() => proxy.close());
      const listener = await proxy.listenTcp("s");
      const refused = [
        ...["127.0.0.1", "site.test", "[::ffff:127.0.0.1]", "mapped.test", "0.0.0.0"].map(
          (host) => `${host}:${api.port}`,
        ),
        `mixed.test:${up.port + 1}`,
      ];
      for (const target of refused) {
        const res = await get(via(listener), `http://${target}/`);
        assert.match(String(res.headers[REFUSAL_HEADER]), /a Skiff node's internal port/, target);
        const { head } = await tunnel(via(listener), target, rawGet("/"));
        assert.match(header(head) ?? "", /a Skiff node's internal port/, target);
      }
      assert.equal(api.hits, 0);
      const reached = await get(via(listener), `http://site.test:${up.port}/ok`);
      assert.equal(reached.status, 200);
      assert.match(reached.body, /^GET \/ok /);
    });

    it("serves a Unix-socket listener the same way and removes its file on close", async (t) => {
      const { proxy } = startProxy(true, [api.port]);
      t.after(() => proxy.close());
      const socketPath = path.join(dir, "egress.sock");
      const listener = await proxy.listenUnix(socketPath, "session-1");
      assert.equal(listener.port, undefined);
      const res = await get(via(listener, socketPath), `http://site.test:${up.port}/u`);
      assert.equal(res.body, `GET /u host=site.test:${up.port} body=`);
      const viaUnix = via(listener, socketPath);
      const { rest } = await tunnel(viaUnix, `site.test:${up.port}`, rawGet("/t"));
      assert.match(rest, /GET \/t host=x/);
      const refused = await tunnel(viaUnix, `127.0.0.1:${api.port}`);
      assert.match(header(refused.head) ?? "", /own ports/);
      assert.equal(listener.counters.refusals, 1);
      assert.ok(listener.counters.bytesIn >= res.body.length + Buffer.byteLength(rest));
      await proxy.close();
      assert.equal(existsSync(socketPath), false);
    });

    it("close() cuts open tunnels and refuses new listeners", async (t) => {
      const { proxy } = startProxy(true);
      t.after(() => proxy.close());
      const listener = await proxy.listenTcp("s");
      const { head, socket } = await tunnel(via(listener), `site.test:${up.port}`);
      assert.match(head, /^HTTP\/1\.1 200 /);
      const closed = new Promise((resolve) => socket.once("close", resolve));
      await proxy.close();
      await closed;
      assert.equal(proxy.isUp, false);
      await assert.rejects(proxy.listenTcp("late"), /closed/);
      await assert.rejects(proxy.listenUnix(path.join(dir, "late.sock"), "late"), /closed/);
    });
  });
});
