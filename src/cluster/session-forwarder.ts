import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { validate as isUuid } from "uuid";
import { ERRORS } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { NodeIdentity } from "../store/node-identity.ts";
import type { NodeRow } from "../store/nodes.ts";
import type { Store } from "../store/store.ts";
import { forwardedBy, HOP_HEADER, signHop } from "./hop.ts";

/** A call bound to one session, named by its scrape (interact) or by the session's own id. */
export interface SessionTarget {
  by: "scrape" | "session";
  id: string;
}

/** The routes bound to one session (design: scale-out §3c), by the id in their path. */
const ROUTES: { methods: string[]; pattern: RegExp; by: SessionTarget["by"] }[] = [
  { methods: ["POST", "DELETE"], pattern: /^\/v2\/scrape\/([^/?]+)\/interact$/, by: "scrape" },
  { methods: ["POST"], pattern: /^\/v2\/(?:browser|interact)\/([^/?]+)\/execute$/, by: "session" },
  { methods: ["DELETE"], pattern: /^\/v2\/(?:browser|interact)\/([^/?]+)$/, by: "session" },
  { methods: ["GET"], pattern: /^\/v2\/live\/([^/?]+)\/[^/?]+(?:\/ws)?$/, by: "session" },
  { methods: ["GET"], pattern: /^\/v2\/cdp\/([^/?]+)\/[^/?]+$/, by: "session" },
];

/** The session a request is for, when its route is bound to one; ids that are no UUID stay here. */
export function sessionTarget(method: string, url: string): SessionTarget | undefined {
  const path = url.split("?")[0] ?? "";
  for (const route of ROUTES) {
    if (!route.methods.includes(method)) continue;
    const id = route.pattern.exec(path)?.[1];
    if (id !== undefined) return isUuid(id) ? { by: route.by, id } : undefined;
  }
  return undefined;
}

/** A target's key in the owner cache. */
const ownerKey = (target: SessionTarget) => `${target.by}:${target.id}`;

/** Headers that describe one connection, never passed on to the next. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  HOP_HEADER,
]);

export interface SessionForwarderOptions {
  store: Store;
  /** This node (its id changes when it rejoins after being declared dead). */
  node: NodeIdentity;
  secret: string;
  heartbeatMs: number;
  deadAfterMs: number;
  /** Declares lapsed nodes dead now, ending their sessions, before the call is answered here. */
  reapNow: () => Promise<void>;
  logger: Logger;
}

/** Owner node ids by target, for sessions seen once: a session never moves to another node. */
const OWNER_CACHE_SIZE = 10_000;

/**
 * Sends a session's calls to the node that runs it. The balancer in front of a cluster picks any
 * node; this one finds the session's node in the store and passes the request on to that node's
 * internal port with a signed hop header, streaming the body and the answer (or, for the live
 * view and CDP, the WebSocket's bytes both ways). The owner runs its whole pipeline, the client's
 * credentials included, so the wire is the same whichever node the balancer picked. A peer that
 * cannot be asked is a 503 with Retry-After, never a 502 (the SDK reruns interact calls on 502).
 */
export class SessionForwarder {
  readonly #options: SessionForwarderOptions;
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  readonly #owners = new Map<string, string>();
  #nodes: { rows: Map<string, NodeRow>; readAt: number } | undefined;

  constructor(options: SessionForwarderOptions) {
    this.#options = options;
  }

  /**
   * The live peer that runs the target's session, or undefined when this node should answer: the
   * session is its own, unknown (a first interact starts here), ended, or its node is dead (then
   * reaped first, so the answer here is 410 and the session is billed once).
   */
  async ownerOf(target: SessionTarget): Promise<NodeRow | undefined> {
    const nodeId = this.#owners.get(ownerKey(target)) ?? (await this.#readOwner(target));
    if (nodeId === undefined || nodeId === this.#options.node.id) return undefined;
    return this.nodeToAsk(nodeId);
  }

  /**
   * Forwards the request at once, before the app parses or routes it, when its session's owner
   * is a peer this node already knows to be alive (a session's second and later calls here);
   * false to leave it to the app, whose hook (`ownerOf`) asks the store.
   */
  forwardIfKnown(request: http.IncomingMessage, response: http.ServerResponse): boolean {
    if (forwardedBy(request) !== undefined) return false;
    const target = sessionTarget(request.method ?? "GET", request.url ?? "/");
    const nodeId = target && this.#owners.get(ownerKey(target));
    if (!nodeId || nodeId === this.#options.node.id) return false;
    const node = this.#freshNodes()?.get(nodeId);
    if (!node || node.status === "dead" || this.#lapsed(node)) return false;
    this.forwardHttp(request, response, node, { target });
    return true;
  }

  /** `nodeId` when it is alive to be asked; a lapsed one is reaped and undefined. */
  async nodeToAsk(nodeId: string): Promise<NodeRow | undefined> {
    let node = await this.#node(nodeId, false);
    if (!node || this.#lapsed(node)) node = await this.#node(nodeId, true);
    if (!node || node.status === "dead") return undefined;
    if (this.#lapsed(node)) {
      await this.#options.reapNow();
      return undefined;
    }
    return node;
  }

  /**
   * Passes the request on to `node` and its answer back, body streamed both ways. When `node`
   * cannot be reached, the answer is 410 if `target`'s session has ended meanwhile (its node
   * stopped, or ended it, since this node last looked), else 503.
   */
  forwardHttp(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    node: NodeRow,
    options: { body?: Buffer; target?: SessionTarget } = {},
  ): void {
    const { body, target } = options;
    const log = this.#options.logger;
    const upstream = http.request(this.#internalUrl(node, request.url ?? "/"), {
      method: request.method,
      headers: this.#headers(request, body),
      agent: this.#agent,
    });
    upstream.on("response", (answer) => {
      const headers = Object.fromEntries(
        Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)),
      );
      response.writeHead(answer.statusCode ?? 500, headers);
      answer.pipe(response);
      answer.on("error", () => response.destroy());
    });
    upstream.on("error", (err) => {
      log.warn({ err, node: node.id, url: request.url }, "a forwarded session call failed");
      if (response.headersSent) return void response.destroy();
      void this.#stillActive(target).then((active) => {
        const { status, code, message } = active
          ? ERRORS.SESSION_NODE_UNAVAILABLE
          : ERRORS.SESSION_DESTROYED;
        response.writeHead(status, {
          "content-type": "application/json",
          ...(active && { "retry-after": "2" }),
        });
        response.end(JSON.stringify({ success: false, ...(code && { code }), error: message }));
      });
    });
    response.on("close", () => {
      if (!response.writableFinished) upstream.destroy();
    });
    if (body) upstream.end(body);
    else request.pipe(upstream);
  }

  /** Relays a WebSocket upgrade to `node`: the handshake with a hop header, then bytes both ways. */
  forwardUpgrade(request: http.IncomingMessage, client: Duplex, head: Buffer, node: NodeRow): void {
    const target = new URL(node.internalUrl ?? "");
    const path = request.url ?? "/";
    const upstream = net.connect(Number(target.port || 80), target.hostname);
    let connected = false;
    upstream.on("connect", () => {
      connected = true;
      const lines = [`${request.method ?? "GET"} ${path} HTTP/1.1`];
      for (let i = 0; i < request.rawHeaders.length; i += 2) {
        const name = request.rawHeaders[i] ?? "";
        if (name.toLowerCase() !== HOP_HEADER) lines.push(`${name}: ${request.rawHeaders[i + 1]}`);
      }
      lines.push(`${HOP_HEADER}: ${this.#hop(request.method ?? "GET", path)}`);
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on("error", (err) => {
      this.#options.logger.warn({ err, node: node.id, url: path }, "a forwarded WebSocket failed");
      if (connected) client.destroy();
      else
        client.end(
          "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nConnection: close\r\n\r\n",
        );
    });
    upstream.on("close", () => client.destroy());
    client.on("close", () => upstream.destroy());
  }

  close(): void {
    this.#agent.destroy();
  }

  /** Whether `target`'s session is still active, read afresh; true when unknown or unreadable. */
  async #stillActive(target: SessionTarget | undefined): Promise<boolean> {
    if (!target) return true;
    this.#owners.delete(ownerKey(target));
    const owner = await this.#readOwner(target).catch(() => "");
    return owner !== undefined;
  }

  async #readOwner(target: SessionTarget): Promise<string | undefined> {
    const { store } = this.#options;
    const row =
      target.by === "scrape"
        ? await store.getSessionByScrape(target.id)
        : await store.getSession(target.id);
    if (!row || row.status !== "active" || row.nodeId === null) return undefined;
    if (this.#owners.size >= OWNER_CACHE_SIZE) this.#owners.clear();
    this.#owners.set(ownerKey(target), row.nodeId);
    return row.nodeId;
  }

  /** A node from the list read at most a heartbeat ago, or read now when `fresh`. */
  async #node(nodeId: string, fresh: boolean): Promise<NodeRow | undefined> {
    let rows = fresh ? undefined : this.#freshNodes();
    if (!rows) {
      const readAt = Date.now();
      rows = new Map((await this.#options.store.listNodes()).map((n) => [n.id, n]));
      this.#nodes = { rows, readAt };
    }
    return rows.get(nodeId);
  }

  /** The node list if it was read at most a heartbeat ago. */
  #freshNodes(): Map<string, NodeRow> | undefined {
    const nodes = this.#nodes;
    return nodes && Date.now() - nodes.readAt <= this.#options.heartbeatMs ? nodes.rows : undefined;
  }

  #lapsed(node: NodeRow): boolean {
    return node.heartbeatAt < Date.now() - this.#options.deadAfterMs;
  }

  #internalUrl(node: NodeRow, path: string): URL {
    return new URL(path, node.internalUrl ?? "http://unreachable.invalid");
  }

  #headers(request: http.IncomingMessage, body: Buffer | undefined): http.OutgoingHttpHeaders {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    }
    if (body) {
      headers["content-length"] = String(body.length);
      delete headers["transfer-encoding"];
    }
    headers[HOP_HEADER] = this.#hop(request.method ?? "GET", request.url ?? "/");
    return headers;
  }

  #hop(method: string, path: string): string {
    return signHop(this.#options.secret, this.#options.node.id, { method, path });
  }
}
