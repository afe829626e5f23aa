import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { isAppError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { SessionManager } from "../../sessions/session-manager.ts";
import { refuseUpgrade, type UpgradeHandler } from "../upgrades.ts";

/** `/v2/cdp/<session id>/<token>`: the pair is the session's credential. */
const CDP_PATH = /^\/v2\/cdp\/([0-9a-f-]{36}\/[A-Za-z0-9_-]{20,100})$/;
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
export function cdpUpgrade(sessions: SessionManager, logger: Logger): UpgradeHandler {
  return (request, socket, head) => {
    const token = CDP_PATH.exec(new URL(request.url ?? "/", "http://skiff").pathname)?.[1];
    if (!token) return false;
    void join(sessions, token, request, socket, head).catch((err: unknown) => {
      if (isAppError(err)) return refuseUpgrade(socket, err.status, err.message);
      logger.warn({ err }, "cdp connection failed");
      refuseUpgrade(socket, 502, "Bad Gateway");
    });
    return true;
  };
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
