import http from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from "fastify";
import { forwardedBy } from "../cluster/hop.ts";
import { sessionTarget, type SessionForwarder } from "../cluster/session-forwarder.ts";
import { AppError } from "../errors.ts";
import { SessionElsewhere } from "../sessions/session-opener.ts";
import { refuseUpgrade, type UpgradeHandler } from "./upgrades.ts";

/**
 * In a cluster, a session's calls that reach a node which does not run it go on to the node that
 * does, before this node authenticates or counts them (the owner does both, once) and before the
 * body is read (it is streamed through). A call a peer forwarded is never forwarded again.
 */
export function registerForwarding(app: FastifyInstance, forwarder: SessionForwarder): void {
  app.addHook("onRequest", async (request, reply) => {
    if (forwardedBy(request.raw) !== undefined) return;
    const target = sessionTarget(request.method, request.url);
    if (!target) return;
    const owner = await forwarder.ownerOf(target).catch((err: unknown) => {
      throw new AppError("SERVICE_UNAVAILABLE", undefined, { cause: err });
    });
    if (!owner) return;
    reply.hijack();
    forwarder.forwardHttp(request.raw, reply.raw, owner, { target });
  });
}

/**
 * The app's HTTP server, in a cluster: a call for a session that a peer is known to run goes on
 * to it before Fastify parses or routes it (the hook above handles the rest), so that a forwarded
 * call costs little more than the hop itself.
 */
export function forwardingServer(forwarder: SessionForwarder) {
  return (handler: http.RequestListener, options: FastifyServerOptions): http.Server => {
    const server = http.createServer((request, response) => {
      if (!forwarder.forwardIfKnown(request, response)) handler(request, response);
    });
    // What Fastify sets on a server it makes itself: an interact call may run for minutes.
    server.keepAliveTimeout = options.keepAliveTimeout ?? server.keepAliveTimeout;
    server.requestTimeout = options.requestTimeout ?? 0;
    server.setTimeout(options.connectionTimeout ?? 0);
    return server;
  };
}

/**
 * The live view's and CDP's WebSockets: to the session's node when a peer runs it, else to this
 * node's own handlers (`local`).
 */
export function forwardingUpgrade(
  forwarder: SessionForwarder,
  local: UpgradeHandler[],
): UpgradeHandler {
  return (request, socket, head) => {
    if (forwardedBy(request) !== undefined) return false;
    const target = sessionTarget(request.method ?? "GET", request.url ?? "/");
    if (!target) return false;
    forwarder.ownerOf(target).then(
      (owner) => {
        if (owner) return forwarder.forwardUpgrade(request, socket, head, owner);
        if (!local.some((handle) => handle(request, socket, head))) {
          refuseUpgrade(socket, 404, "Not Found");
        }
      },
      () => refuseUpgrade(socket, 503, "Service Unavailable"),
    );
    return true;
  };
}

/**
 * Runs a session route's `work`; when it finds the session started on a peer after this call was
 * routed here (a first interact that lost the race to start its scrape's session), the call goes
 * to that peer, its body (already read) sent again as read: 410 when that node is dead, 503 when it
 * cannot be asked (the SDK may try again, and then finds the session).
 */
export async function orForwarded<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  forwarder: SessionForwarder | undefined,
  work: () => Promise<T>,
): Promise<T | FastifyReply> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof SessionElsewhere)) throw err;
    const nodeId = err.row?.nodeId;
    if (!forwarder || !nodeId || forwardedBy(request.raw) !== undefined) {
      throw new AppError("SESSION_NODE_UNAVAILABLE", undefined, { cause: err });
    }
    const node = await forwarder.nodeToAsk(nodeId);
    // Its node died (and was reaped just now): the session ended with it.
    if (!node) throw new AppError("SESSION_DESTROYED", undefined, { cause: err });
    reply.hijack();
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    forwarder.forwardHttp(request.raw, reply.raw, node, { body: Buffer.from(body ?? "") });
    return reply;
  }
}
