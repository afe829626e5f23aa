import { rmSync } from "node:fs";
import net from "node:net";

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The server's end of DevTools connections into a session: a socket in the session's run/
 * folder that its host connects to, once per connection asked for, and joins to Chromium's CDP
 * port inside the sandbox. Connections arrive in order; any one serves any caller, since every
 * one leads to the same browser.
 */
export class CdpRelay {
  readonly #server: net.Server;
  readonly #path: string;
  readonly #waiting: ((socket: net.Socket) => void)[] = [];
  readonly #open = new Set<net.Socket>();

  private constructor(server: net.Server, socketPath: string) {
    this.#server = server;
    this.#path = socketPath;
    server.on("connection", (socket) => this.#arrived(socket));
  }

  static async listen(socketPath: string): Promise<CdpRelay> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => resolve());
    });
    return new CdpRelay(server, socketPath);
  }

  /** A raw stream to Chromium's DevTools server; `ask` makes the host connect. */
  async connect(ask: () => Promise<unknown>): Promise<net.Socket> {
    const arrived = new Promise<net.Socket>((resolve) => this.#waiting.push(resolve));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("the session host did not relay CDP in time")),
        CONNECT_TIMEOUT_MS,
      );
    });
    try {
      await ask();
      return await Promise.race([arrived, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Cuts every relayed connection and stops listening. */
  close(): void {
    for (const socket of this.#open) socket.destroy();
    this.#server.close();
    rmSync(this.#path, { force: true });
  }

  #arrived(socket: net.Socket): void {
    this.#open.add(socket);
    socket.on("close", () => this.#open.delete(socket));
    socket.on("error", () => socket.destroy());
    const waiter = this.#waiting.shift();
    if (waiter) waiter(socket);
    else socket.destroy();
  }
}
