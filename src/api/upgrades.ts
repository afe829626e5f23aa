import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance } from "fastify";

/** Takes a WebSocket upgrade it recognises (true), or leaves it to the next (false). */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

/** Fastify serves HTTP; WebSocket upgrades (cdpUrl, live view) go to these, else 404. */
export function registerUpgrades(app: FastifyInstance, handlers: UpgradeHandler[]): void {
  app.server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    if (!handlers.some((handle) => handle(request, socket, head))) {
      refuseUpgrade(socket, 404, "Not Found");
    }
  });
}

export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  socket.end(`HTTP/1.1 ${status} ${message.replace(/[\r\n]/g, " ")}\r\nConnection: close\r\n\r\n`);
}
