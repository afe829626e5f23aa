import http from "node:http";
import net from "node:net";
import { networkInterfaces } from "node:os";
import { rmSync } from "node:fs";
import type { Duplex } from "node:stream";
import type { Logger } from "../log.ts";
import { isPrivateAddress, type Resolver } from "./target-policy.ts";

export interface EgressProxyOptions {
  resolve: Resolver;
  allowPrivateTargets: boolean;
  logger: Logger;
  /**
   * Skiff's own listening ports (the API, these proxy listeners): never reachable on a local
   * address, even with `allowPrivateTargets`. A function, as the API's port is known late.
   */
  ownPorts: () => readonly number[];
  /**
   * The internal ports of the cluster's nodes, this one's included (addresses as IPs): a session
   * must never reach them, even with `allowPrivateTargets`. Empty on one node.
   */
  peers?: () => readonly PeerEndpoint[];
}

/** A node's internal listener, as the egress policy refuses it. */
export interface PeerEndpoint {
  address: string;
  port: number;
}

/** Every response the proxy makes itself carries this header, naming why. */
export const REFUSAL_HEADER = "x-skiff-egress-refused";

/** What one client (a session's browser, a scrape's context) moved through the proxy. */
export interface EgressCounters {
  bytesIn: number;
  bytesOut: number;
  refusals: number;
}

const RESOLVE_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 30_000;
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/** Why a destination is refused, or undefined when it may be reached. */
type Verdict = { ok: true; address: string } | { ok: false; reason: string };

/**
 * The HTTP forward proxy every browser Skiff runs goes through (CONNECT for TLS and WebSockets,
 * absolute-URI requests for plain HTTP). It resolves names itself and checks the address it will
 * connect to, so neither a redirect nor DNS rebinding reaches what the policy refuses: loopback,
 * private, link-local, CGNAT, multicast, unspecified and metadata addresses unless
 * `allowPrivateTargets`, and Skiff's own ports always. Each client gets its own listener, so
 * bytes and refusals are counted per session or scrape without any proxy authentication.
 */
export class EgressProxy {
  readonly #options: EgressProxyOptions;
  readonly #listeners = new Set<ProxyListener>();
  #refusals = 0;
  #closed = false;

  constructor(options: EgressProxyOptions) {
    this.#options = options;
  }

  /** Refusals since start, over all listeners. */
  get refusals(): number {
    return this.#refusals;
  }

  /** Healthy while it has not been closed; a listener that fails closes on its own. */
  get isUp(): boolean {
    return !this.#closed;
  }

  /** A listener on 127.0.0.1 and a free port, for a browser on the host (the scrape pool's). */
  async listenTcp(label: string): Promise<ProxyListener> {
    return this.#listen(label, (server) => server.listen(0, "127.0.0.1"));
  }

  /** A listener on a Unix socket, bind-mounted into a session's sandbox. */
  async listenUnix(socketPath: string, label: string): Promise<ProxyListener> {
    return this.#listen(label, (server) => server.listen(socketPath));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#listeners].map((l) => l.close()));
  }

  /** The listeners' own ports are Skiff's too. */
  #ownPorts(): Set<number> {
    const ports = new Set(this.#options.ownPorts());
    for (const listener of this.#listeners) if (listener.port) ports.add(listener.port);
    return ports;
  }

  async #listen(label: string, start: (server: http.Server) => void): Promise<ProxyListener> {
    if (this.#closed) throw new Error("the egress proxy is closed");
    const listener = new ProxyListener(label, {
      check: (host, port, signal) => this.#check(host, port, signal),
      refused: (l, target, reason) => this.#refused(l, target, reason),
      forget: (l) => this.#listeners.delete(l),
      logger: this.#options.logger,
    });
    await listener.start(start);
    this.#listeners.add(listener);
    return listener;
  }

  async #check(host: string, port: number, signal: AbortSignal): Promise<Verdict> {
    const bare = host.replace(/^\[|\]$/g, "");
    let addresses: string[];
    try {
      addresses = net.isIP(bare) ? [bare] : await this.#options.resolve(bare, signal);
    } catch {
      return { ok: false, reason: `DNS resolution failed for ${bare}` };
    }
    const address = addresses[0];
    if (!address) return { ok: false, reason: `DNS resolution failed for ${bare}` };
    if (this.#ownPorts().has(port) && addresses.some(isThisMachine)) {
      return { ok: false, reason: `${bare}:${port} is one of Skiff's own ports` };
    }
    if (this.#isPeer(addresses, port)) {
      return { ok: false, reason: `${bare}:${port} is a Skiff node's internal port` };
    }
    const bad = addresses.find(isPrivateAddress);
    if (bad && !this.#options.allowPrivateTargets) {
      return { ok: false, reason: `${bare} resolves to ${bad}, a private address` };
    }
    return { ok: true, address };
  }

  /** The port first: the address checks list this machine's interfaces, ~60 µs a request. */
  #isPeer(addresses: string[], port: number): boolean {
    const peers = (this.#options.peers?.() ?? []).filter((peer) => peer.port === port);
    if (peers.length === 0) return false;
    const local = addresses.some(isThisMachine);
    return peers.some(
      (peer) => addresses.includes(peer.address) || (local && isThisMachine(peer.address)),
    );
  }

  #refused(listener: ProxyListener, target: string, reason: string): void {
    this.#refusals++;
    this.#options.logger.warn(
      { client: listener.label, target, reason, refusals: this.#refusals },
      "egress refused",
    );
  }
}

interface ListenerHooks {
  check: (host: string, port: number, signal: AbortSignal) => Promise<Verdict>;
  refused: (listener: ProxyListener, target: string, reason: string) => void;
  forget: (listener: ProxyListener) => void;
  logger: Logger;
}

/** One client's entrance to the proxy; `label` names the session or scrape it serves. */
export class ProxyListener {
  label: string;
  readonly counters: EgressCounters = { bytesIn: 0, bytesOut: 0, refusals: 0 };
  readonly #hooks: ListenerHooks;
  readonly #server: http.Server;
  readonly #sockets = new Set<Duplex>();
  #socketPath: string | undefined;
  /** Kept from the start: the policy asks for it on every request (getsockname otherwise). */
  #port: number | undefined;

  constructor(label: string, hooks: ListenerHooks) {
    this.label = label;
    this.#hooks = hooks;
    this.#server = http.createServer((req, res) => void this.#forward(req, res));
    this.#server.on("connect", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.#tunnel(req, socket, head);
    });
    this.#server.on("connection", (socket: net.Socket) => this.#track(socket));
  }

  /** The TCP port, for a listener on 127.0.0.1. */
  get port(): number | undefined {
    return this.#port;
  }

  /** `http://127.0.0.1:<port>`, what a browser on the host is given as its proxy. */
  get url(): string {
    return `http://127.0.0.1:${this.port ?? 0}`;
  }

  async start(listen: (server: http.Server) => void): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.once("listening", () => {
        this.#server.off("error", reject);
        resolve();
      });
      listen(this.#server);
    });
    const address = this.#server.address();
    if (typeof address === "string") this.#socketPath = address;
    else if (address) this.#port = address.port;
  }

  /** Stops listening and cuts the connections still open. */
  async close(): Promise<void> {
    this.#hooks.forget(this);
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    if (this.#socketPath) rmSync(this.#socketPath, { force: true });
  }

  #track(socket: Duplex): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  }

  /** CONNECT host:port: check, connect to the checked address, then pipe both ways. */
  async #tunnel(req: http.IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    const target = req.url ?? "";
    // CONNECT names host and port (RFC 9110 authority form); a missing port is refused.
    const { host, port } = splitHostPort(target, 0);
    const verdict = await this.#verdict(host, port);
    if (!verdict.ok) return this.#refuseTunnel(client, target, verdict.reason);
    const upstream = net.connect({
      host: verdict.address,
      port,
      timeout: CONNECT_TIMEOUT_MS,
      noDelay: true,
    });
    upstream.once("timeout", () => upstream.destroy());
    const failed = () => client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
    upstream.once("error", failed);
    upstream.once("connect", () => {
      // From here on the client speaks through the tunnel: an error closes it, nothing more.
      upstream.off("error", failed);
      upstream.setTimeout(0);
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      this.#pipe(client, upstream);
    });
  }

  /** An absolute-URI request for plain HTTP: check, then forward it to the checked address. */
  async #forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? "");
    } catch {
      res.writeHead(400, { "content-type": "text/plain" }).end("Skiff egress proxy: bad URL\n");
      return;
    }
    if (url.protocol !== "http:") {
      res.writeHead(400, { "content-type": "text/plain" }).end("Skiff egress proxy: use CONNECT\n");
      return;
    }
    const port = Number(url.port || 80);
    const verdict = await this.#verdict(url.hostname, port);
    if (!verdict.ok) return this.#refuseRequest(res, url.host, verdict.reason);
    const upstream = http.request({
      host: verdict.address,
      port,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers: { ...withoutHopByHop(req.headers), host: url.host },
      setHost: false,
    });
    this.counters.bytesOut += headBytes(`${req.method} ${req.url} HTTP/1.1`, req.rawHeaders);
    upstream.on("response", (answer) => {
      this.counters.bytesIn += headBytes(`HTTP/1.1 ${answer.statusCode}`, answer.rawHeaders);
      res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
      answer.on("data", (chunk: Buffer) => (this.counters.bytesIn += chunk.length));
      answer.pipe(res);
    });
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end();
    });
    // The browser gave up on the load (its page closed, its scrape cancelled): so does the proxy.
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.on("data", (chunk: Buffer) => (this.counters.bytesOut += chunk.length));
    req.pipe(upstream);
  }

  async #verdict(host: string, port: number): Promise<Verdict> {
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) {
      return { ok: false, reason: `bad destination ${host}:${port}` };
    }
    return this.#hooks.check(host, port, AbortSignal.timeout(RESOLVE_TIMEOUT_MS));
  }

  #refuseTunnel(client: Duplex, target: string, reason: string): void {
    this.#refuse(target, reason);
    const body = `Blocked by Skiff's egress policy: ${reason}\n`;
    client.end(
      `HTTP/1.1 403 Forbidden\r\n${REFUSAL_HEADER}: ${headerSafe(reason)}\r\n` +
        `content-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  #refuseRequest(res: http.ServerResponse, target: string, reason: string): void {
    this.#refuse(target, reason);
    res
      .writeHead(403, { "content-type": "text/plain", [REFUSAL_HEADER]: headerSafe(reason) })
      .end(`Blocked by Skiff's egress policy: ${reason}\n`);
  }

  #refuse(target: string, reason: string): void {
    this.counters.refusals++;
    this.#hooks.refused(this, target, reason);
  }

  #pipe(client: Duplex, upstream: net.Socket): void {
    this.#track(upstream);
    client.on("data", (chunk: Buffer) => (this.counters.bytesOut += chunk.length));
    upstream.on("data", (chunk: Buffer) => (this.counters.bytesIn += chunk.length));
    client.pipe(upstream).on("error", () => client.destroy());
    upstream.pipe(client).on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  }
}

/** Loopback, unspecified, or one of this machine's interfaces: where Skiff's ports listen. */
function isThisMachine(address: string): boolean {
  // A BlockList compares addresses, not spellings: ::ffff:7f00:1 and 0:0:0:0:0:0:0:1 match too.
  const family = net.isIP(address);
  if (family === 0) return false;
  const local = new net.BlockList();
  local.addSubnet("127.0.0.0", 8, "ipv4");
  local.addAddress("0.0.0.0", "ipv4");
  local.addAddress("::1", "ipv6");
  local.addAddress("::", "ipv6");
  for (const nic of Object.values(networkInterfaces()).flat()) {
    if (nic) local.addAddress(nic.address, nic.family === "IPv4" ? "ipv4" : "ipv6");
  }
  return local.check(address, family === 4 ? "ipv4" : "ipv6");
}

function splitHostPort(authority: string, fallbackPort: number): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(authority);
  if (!match?.[1]) return { host: "", port: 0 };
  return { host: match[1], port: match[2] ? Number(match[2]) : fallbackPort };
}

/** The size of a message's head as it went over the wire, near enough for accounting. */
function headBytes(startLine: string, rawHeaders: string[]): number {
  let bytes = startLine.length + 4;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    bytes += (rawHeaders[i]?.length ?? 0) + (rawHeaders[i + 1]?.length ?? 0) + 4;
  }
  return bytes;
}

function withoutHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = { ...headers };
  for (const name of HOP_BY_HOP) delete out[name];
  return out;
}

function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?");
}
