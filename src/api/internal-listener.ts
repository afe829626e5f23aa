import http from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { HOP_HEADER, markForwarded, verifyHop } from "../cluster/hop.ts";
import { ERRORS } from "../errors.ts";
import type { Logger } from "../log.ts";
import { refuseUpgrade } from "./upgrades.ts";

export interface InternalListenerOptions {
  /** The app, once built; until then a signed call is answered 503. */
  app: () => FastifyInstance | undefined;
  secret: string;
  host: string;
  port: number;
  logger: Logger;
}

/**
 * The port peers forward session calls to (`INTERNAL_PORT`, on a private network). A call gets
 * in only with a fresh hop header signed with CLUSTER_SECRET (401 otherwise, and nothing runs);
 * then it goes through the same app as the public port, marked as forwarded so that it is never
 * forwarded again. WebSocket upgrades (live view, CDP) take the same check.
 */
export class InternalListener {
  readonly #server: http.Server;
  readonly #options: InternalListenerOptions;

  private constructor(options: InternalListenerOptions) {
    this.#options = options;
    this.#server = http.createServer((request, response) => this.#serve(request, response));
    // Forwarded calls run as long as the user's code does; the caller's own timeouts apply.
    this.#server.requestTimeout = 0;
    this.#server.keepAliveTimeout = 65_000;
    this.#server.on("upgrade", (request: http.IncomingMessage, socket, head: Buffer) => {
      socket.on("error", () => socket.destroy());
      const app = this.#admit(request);
      if (app === "refused") return refuseUpgrade(socket, 401, "Unauthorized");
      if (!app) return refuseUpgrade(socket, 503, "Service Unavailable");
      app.server.emit("upgrade", request, socket, head);
    });
  }

  static async start(options: InternalListenerOptions): Promise<InternalListener> {
    const listener = new InternalListener(options);
    await new Promise<void>((resolve, reject) => {
      listener.#server.once("error", reject);
      listener.#server.listen(options.port, options.host, () => resolve());
    });
    return listener;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
  }

  /** Forces the remaining connections shut (long calls still running at the end of a drain). */
  closeAll(): void {
    this.#server.closeAllConnections();
  }

  #serve(request: http.IncomingMessage, response: http.ServerResponse): void {
    const app = this.#admit(request);
    if (app === "refused" || !app) {
      const { status, code, message } =
        app === "refused" ? ERRORS.HOP_UNAUTHORIZED : ERRORS.SERVICE_UNAVAILABLE;
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify({ success: false, code, error: message }));
      return;
    }
    app.routing(request, response);
  }

  /** The app to serve a correctly signed call; "refused" for any other. */
  #admit(request: http.IncomingMessage): FastifyInstance | "refused" | undefined {
    const call = { method: request.method ?? "GET", path: request.url ?? "/" };
    const check = verifyHop(this.#options.secret, request.headers[HOP_HEADER], call);
    if (!check.ok) {
      this.#options.logger.warn(
        { reason: check.reason, method: call.method, url: call.path },
        "internal port refused a call",
      );
      return "refused";
    }
    markForwarded(request, check.origin);
    return this.#options.app();
  }
}
