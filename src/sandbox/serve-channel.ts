import net from "node:net";
import {
  DEFAULT_HEARTBEAT_MS,
  FrameDecoder,
  MAX_FRAME_BYTES,
  encodeFrame,
  isCancel,
  isRequest,
  type HostFrame,
  type RequestFrame,
} from "./messages.ts";

/** Runs one request inside the host; `signal` aborts when the server gives up on it. */
export type HostHandler = (payload: unknown, signal: AbortSignal) => unknown;

export interface ServeOptions {
  /** Must match the server's `heartbeatMs`, or the server declares this host dead. */
  heartbeatMs?: number;
  maxFrameBytes?: number;
}

/** The host's end of the channel, as `serveChannel` hands it back. */
export interface HostConnection {
  /** Sends an event the server did not ask for (console output, a screencast frame). */
  emit(event: string, data: unknown): void;
  /** Settles when the server end closes; the host should then exit. */
  readonly closed: Promise<void>;
  close(): void;
}

/**
 * The session host's side: connects to the server's socket, answers requests with `handlers`
 * and sends heartbeats until the socket closes. Used by the process inside the sandbox.
 */
export async function serveChannel(
  socketPath: string,
  handlers: Readonly<Record<string, HostHandler>>,
  options: ServeOptions = {},
): Promise<HostConnection> {
  const socket = await connect(socketPath);
  return new HostEndpoint(socket, handlers, options);
}

function connect(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

class HostEndpoint implements HostConnection {
  readonly closed: Promise<void>;
  #socket: net.Socket;
  #handlers: Readonly<Record<string, HostHandler>>;
  #maxFrameBytes: number;
  #decoder: FrameDecoder;
  #running = new Map<number, AbortController>();
  #beats = 0;

  constructor(
    socket: net.Socket,
    handlers: Readonly<Record<string, HostHandler>>,
    o: ServeOptions,
  ) {
    this.#socket = socket;
    this.#handlers = handlers;
    this.#maxFrameBytes = o.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.#decoder = new FrameDecoder(this.#maxFrameBytes);
    // Unref'd: the socket, not the heartbeat, keeps the host process alive.
    const beat = setInterval(
      () => this.#send({ heartbeat: ++this.#beats }),
      o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    );
    beat.unref();
    this.#send({ heartbeat: 0 });
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", () => socket.destroy());
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        clearInterval(beat);
        for (const controller of this.#running.values()) controller.abort();
        resolve();
      }),
    );
  }

  emit(event: string, data: unknown): void {
    this.#send({ event, data });
  }

  close(): void {
    this.#socket.end();
  }

  #onData(chunk: Buffer): void {
    let frames: unknown[];
    try {
      frames = this.#decoder.push(chunk);
    } catch {
      this.#socket.destroy();
      return;
    }
    for (const frame of frames) {
      if (isRequest(frame)) void this.#run(frame);
      else if (isCancel(frame)) this.#running.get(frame.cancel)?.abort();
    }
  }

  async #run(request: RequestFrame): Promise<void> {
    const controller = new AbortController();
    this.#running.set(request.id, controller);
    try {
      const handler = this.#handlers[request.type];
      if (!handler) throw new Error(`unknown request type '${request.type}'`);
      const result: unknown = await handler(request.payload, controller.signal);
      this.#answer({ id: request.id, ok: true, result });
    } catch (err) {
      this.#answer({ id: request.id, ok: false, error: errorShape(err) });
    } finally {
      this.#running.delete(request.id);
    }
  }

  /** A result too large for one frame becomes an error answer rather than a lost request. */
  #answer(frame: HostFrame & { id: number }): void {
    try {
      this.#send(frame);
    } catch (err) {
      this.#send({ id: frame.id, ok: false, error: errorShape(err) });
    }
  }

  #send(frame: HostFrame): void {
    if (this.#socket.destroyed) return;
    this.#socket.write(encodeFrame(frame, this.#maxFrameBytes));
  }
}

function errorShape(err: unknown): { message: string; name: string } {
  if (err instanceof Error) return { message: err.message, name: err.name };
  return { message: String(err), name: "Error" };
}
