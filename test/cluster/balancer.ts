// A small load balancer in front of a test cluster, standing for nginx or HAProxy: it streams
// requests and answers through, passes WebSocket upgrades on, and answers 503 (never 502) when a
// node cannot be reached, as the real ones are configured to. It knows nothing of Skiff's code;
// `never-owner` reads the sessions table only to send every session call to a node that does
// not run the session, so that each one has to be forwarded.
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Cluster, ClusterNode } from "./nodes.ts";

/**
 * `round-robin` over the nodes whose process runs; `never-owner`: round-robin, but a session's
 * calls go round the nodes other than its owner; `pin:<n>`: everything to node n, up or not.
 */
export type BalancerMode = "round-robin" | "never-owner" | `pin:${number}`;

export interface Balancer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Switchable at any time; the next request follows it. */
  mode: BalancerMode;
  /** Requests and upgrades each node was sent, by node index. */
  readonly hits: readonly number[];
  resetHits(): void;
  close(): Promise<void>;
}

/** The routes bound to one session, by the id in their path (design: scale-out §3c). */
const SESSION_ROUTES: { methods: string[]; pattern: RegExp; by: "scrape_id" | "id" }[] = [
  { methods: ["POST", "DELETE"], pattern: /^\/v2\/scrape\/([^/]+)\/interact$/, by: "scrape_id" },
  { methods: ["POST"], pattern: /^\/v2\/(?:browser|interact)\/([^/]+)\/execute$/, by: "id" },
  { methods: ["DELETE"], pattern: /^\/v2\/(?:browser|interact)\/([^/]+)$/, by: "id" },
  { methods: ["GET"], pattern: /^\/v2\/live\/([^/]+)\/[^/]+(?:\/ws)?$/, by: "id" },
  { methods: ["GET"], pattern: /^\/v2\/cdp\/([^/]+)\/[^/]+$/, by: "id" },
];

/** Headers about one connection, never passed on to the next. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

const UNAVAILABLE = JSON.stringify({
  success: false,
  code: "SERVICE_UNAVAILABLE",
  error: "The load balancer could not reach a node",
});

const UPGRADE_UNAVAILABLE = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n";

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

function checkedMode(mode: BalancerMode, nodes: number): BalancerMode {
  if (mode === "round-robin" || mode === "never-owner") return mode;
  const pinned = /^pin:(\d+)$/.exec(mode);
  if (pinned && Number(pinned[1]) < nodes) return mode;
  throw new Error(`balancer mode ${mode}: round-robin, never-owner or pin:<0..${nodes - 1}>`);
}

export async function startBalancer(
  cluster: Cluster,
  mode: BalancerMode = "round-robin",
): Promise<Balancer> {
  const balancer = new TestBalancer(cluster, mode);
  await balancer.listen();
  return balancer;
}

class TestBalancer implements Balancer {
  readonly hits: number[];
  readonly #cluster: Cluster;
  readonly #server: http.Server;
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  readonly #tunnels = new Set<Duplex>();
  #mode: BalancerMode;
  #turn = 0;
  #closed: Promise<void> | undefined;

  constructor(cluster: Cluster, mode: BalancerMode) {
    this.#cluster = cluster;
    this.#mode = checkedMode(mode, cluster.nodes.length);
    this.hits = cluster.nodes.map(() => 0);
    // Interact calls run as long as the user's code does: the client's own timeouts apply.
    this.#server = http.createServer({ requestTimeout: 0 }, (request, response) => {
      this.#pick(request).then(
        (node) => this.#proxy(request, response, node),
        () => response.writeHead(503, { "content-type": "application/json" }).end(UNAVAILABLE),
      );
    });
    this.#server.on("upgrade", (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on("error", () => socket.destroy());
      this.#pick(request).then(
        (node) => this.#tunnel(request, socket, head, node),
        () => socket.end(UPGRADE_UNAVAILABLE),
      );
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  get mode(): BalancerMode {
    return this.#mode;
  }

  set mode(mode: BalancerMode) {
    this.#mode = checkedMode(mode, this.#cluster.nodes.length);
  }

  resetHits(): void {
    this.hits.fill(0);
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(0, "127.0.0.1", () => resolve());
    });
  }

  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
      for (const socket of this.#tunnels) socket.destroy();
      this.#agent.destroy();
    });
    return this.#closed;
  }

  /** The node for this request, counted in `hits`. */
  async #pick(request: http.IncomingMessage): Promise<ClusterNode> {
    const nodes = this.#cluster.nodes;
    const pinned = /^pin:(\d+)$/.exec(this.#mode);
    const owner = this.#mode === "never-owner" ? await this.#ownerOf(request) : undefined;
    const running = nodes.filter((n) => n.running && n !== owner);
    const candidates = running.length > 0 ? running : nodes;
    const node = pinned ? nodes[Number(pinned[1])] : candidates[this.#turn++ % candidates.length];
    if (!node) throw new Error("the cluster has no node");
    this.hits[node.index] = (this.hits[node.index] ?? 0) + 1;
    return node;
  }

  /** The node running the session a call is bound to; undefined for any other call. */
  async #ownerOf(request: http.IncomingMessage): Promise<ClusterNode | undefined> {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const method = request.method ?? "GET";
    const target = SESSION_ROUTES.filter((r) => r.methods.includes(method))
      .map((r) => ({ by: r.by, id: r.pattern.exec(path)?.[1] }))
      .find((match) => match.id !== undefined);
    if (!target?.id) return undefined;
    try {
      const rows = await this.#cluster.query<{ node_id: string | null }>(
        `SELECT node_id FROM sessions WHERE ${target.by} = $1 ORDER BY created_at DESC LIMIT 1`,
        [decodeURIComponent(target.id)],
      );
      const nodeId = rows[0]?.node_id;
      return nodeId ? await this.#cluster.nodeOfId(nodeId) : undefined;
    } catch {
      // No owner to avoid (the database is down, say): the call goes round like any other.
      return undefined;
    }
  }

  #proxy(request: http.IncomingMessage, response: http.ServerResponse, node: ClusterNode): void {
    const upstream = http.request(
      {
        host: "127.0.0.1",
        port: node.port,
        method: request.method,
        path: request.url,
        headers: endToEnd(request.headers),
        agent: this.#agent,
      },
      (answer) => {
        response.writeHead(
          answer.statusCode ?? 503,
          answer.statusMessage,
          endToEnd(answer.headers),
        );
        answer.pipe(response);
        answer.on("error", () => response.destroy());
      },
    );
    upstream.on("error", () => {
      if (!response.headersSent) {
        response.writeHead(503, { "content-type": "application/json", connection: "close" });
        response.end(UNAVAILABLE);
      } else response.destroy();
    });
    response.on("close", () => {
      if (!response.writableFinished) upstream.destroy();
    });
    request.pipe(upstream);
  }

  /** Opens a connection to the node, replays the upgrade request on it, then pipes both ways. */
  #tunnel(request: http.IncomingMessage, socket: Duplex, head: Buffer, node: ClusterNode): void {
    const upstream = net.connect(node.port, "127.0.0.1");
    this.#tunnels.add(socket);
    let connected = false;
    upstream.once("connect", () => {
      connected = true;
      const headers = [];
      for (let i = 0; i < request.rawHeaders.length; i += 2) {
        headers.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}\r\n`);
      }
      upstream.write(`${request.method} ${request.url} HTTP/1.1\r\n${headers.join("")}\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    upstream.on("error", () => {
      if (connected) socket.destroy();
      else socket.end(UPGRADE_UNAVAILABLE);
    });
    upstream.on("close", () => socket.destroy());
    socket.on("close", () => {
      this.#tunnels.delete(socket);
      upstream.destroy();
    });
  }
}
