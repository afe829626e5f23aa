import net from "node:net";

/**
 * Inside a session's sandbox there is no network but loopback. This listens on 127.0.0.1 there
 * and carries each connection to the egress proxy's Unix socket, bind-mounted from the server:
 * the one way out, for the browser and for user code alike, and the proxy decides.
 */
export class ProxyForwarder {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();

  private constructor(server: net.Server) {
    this.#server = server;
  }

  static async start(proxySocket: string): Promise<ProxyForwarder> {
    const server = net.createServer();
    const forwarder = new ProxyForwarder(server);
    server.on("connection", (client) => forwarder.#carry(client, proxySocket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return forwarder;
  }

  /** `http://127.0.0.1:<port>`: what Chromium is given as its proxy. */
  get url(): string {
    const address = this.#server.address();
    return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  }

  close(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#server.close();
  }

  #carry(client: net.Socket, proxySocket: string): void {
    const upstream = net.connect(proxySocket);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
      socket.on("error", () => socket.destroy());
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  }
}
