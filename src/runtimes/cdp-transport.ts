import { createRequire } from "node:module";
import type { ConnectOverCDPTransport } from "playwright-core";
import type WebSocket from "ws";

// The ws that Playwright bundles (an exported path of playwright-core), which the worker has
// loaded anyway, rather than a second copy of the package: ~1 MB less in every session.
const { ws: BundledWebSocket } = createRequire(import.meta.url)(
  "playwright-core/lib/utilsBundle",
) as { ws: typeof WebSocket };

/**
 * A CDP connection for `chromium.connectOverCDP(transport)`. Playwright's own WebSocket asks for
 * permessage-deflate, so Chromium compresses every message and each one costs an inflate on
 * libuv's thread pool: 0.1–0.25 ms of every `page.title()` on this machine, measured against this
 * uncompressed one (which is within a few hundredths of a millisecond of a pipe). Like Playwright's,
 * it hands each message over in a task of its own, so that what one message resolves runs before
 * the next arrives.
 */
class CdpSocketTransport implements ConnectOverCDPTransport {
  readonly #socket: WebSocket;
  onmessage?: (message: object) => void;
  onclose?: (reason?: string) => void;

  constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on("message", (data: Buffer) => {
      setImmediate(() => this.onmessage?.(JSON.parse(data.toString("utf8")) as object));
    });
    socket.on("close", (_code, reason) => this.onclose?.(reason.toString("utf8")));
    socket.on("error", () => socket.terminate());
  }

  send(message: object): void {
    this.#socket.send(JSON.stringify(message));
  }

  close(): void {
    this.#socket.close();
  }
}

/** CDP messages can be large (a screenshot, a big DOM); Playwright allows the same. */
const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

/** Opens `wsEndpoint` (`ws://…/devtools/browser/…`) within `timeoutMs`. */
export function openCdpTransport(
  wsEndpoint: string,
  timeoutMs: number,
): Promise<ConnectOverCDPTransport> {
  const socket = new BundledWebSocket(wsEndpoint, {
    perMessageDeflate: false,
    maxPayload: MAX_PAYLOAD_BYTES,
    handshakeTimeout: timeoutMs,
  });
  return new Promise((resolve, reject) => {
    socket.once("open", () => {
      socket.off("error", reject);
      resolve(new CdpSocketTransport(socket));
    });
    socket.once("error", reject);
  });
}
