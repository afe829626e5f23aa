import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance } from "fastify";
import { isAppError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { SessionManager } from "../../sessions/session-manager.ts";

const CDP_PATH = /^\/v2\/cdp\/([A-Za-z0-9_-]{20,100})$/;
/** The client's WebSocket handshake headers that Chromium needs; the rest stay here. */
const HANDSHAKE_HEADERS = [
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-extensions",
];

/**
 * `cdpUrl`: a WebSocket on Skiff that carries the DevTools protocol into a session's browser, so
 * `chromium.connectOverCDP(cdpUrl)` drives the page interact calls see. The token in the path is
 * the credential. Skiff forwards the handshake to the browser's endpoint (with the Host header
 * Chromium accepts) and then relays bytes both ways.
 */
export function registerCdpProxy(
  app: FastifyInstance,
  sessions: SessionManager,
  logger: Logger,
): void {
  app.server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const token = CDP_PATH.exec(new URL(request.url ?? "/", "http://skiff").pathname)?.[1];
    if (!token) return refuse(socket, 404, "Not Found");
    void join(sessions, token, request, socket, head).catch((err: unknown) => {
      if (isAppError(err)) return refuse(socket, err.status, err.message);
      logger.warn({ err }, "cdp connection failed");
      refuse(socket, 502, "Bad Gateway");
    });
  });
}

async function join(
  sessions: SessionManager,
  token: string,
  request: IncomingMessage,
  client: Duplex,
  head: Buffer,
): Promise<void> {
  client.on("error", () => client.destroy());
  const { socket: browser, browserPath } = await sessions.openCdp(token);
  const lines = [
    `GET ${browserPath} HTTP/1.1`,
    "Host: 127.0.0.1",
    "Upgrade: websocket",
    "Connection: Upgrade",
  ];
  for (const name of HANDSHAKE_HEADERS) {
    const value = request.headers[name];
    if (typeof value === "string") lines.push(`${name}: ${value}`);
  }
  browser.write(`${lines.join("\r\n")}\r\n\r\n`);
  if (head.length > 0) browser.write(head);
  browser.pipe(client).pipe(browser);
  browser.on("close", () => client.destroy());
  client.on("close", () => browser.destroy());
}

function refuse(socket: Duplex, status: number, message: string): void {
  socket.end(`HTTP/1.1 ${status} ${message.replace(/[\r\n]/g, " ")}\r\nConnection: close\r\n\r\n`);
}
