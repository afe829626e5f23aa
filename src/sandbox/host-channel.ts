import { rmSync } from "node:fs";
import net from "node:net";
import type { Logger } from "../log.ts";
import {
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_MISSED_HEARTBEATS,
  FrameDecoder,
  MAX_FRAME_BYTES,
  encodeFrame,
  isEvent,
  isResponse,
  type ResponseFrame,
  type ServerFrame,
} from "./messages.ts";

export type ChannelErrorCode =
  "TIMEOUT" | "ABORTED" | "HOST_DEAD" | "HOST_EXITED" | "PROTOCOL" | "CLOSED" | "REMOTE";

/** Why a request or the whole channel failed; `code` lets the session layer pick its answer. */
export class ChannelError extends Error {
  readonly code: ChannelErrorCode;

  constructor(code: ChannelErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ChannelError";
    this.code = code;
  }
}

export interface HostChannelOptions {
  logger: Logger;
  /** How often the host promises a heartbeat; the server checks at the same rate. */
  heartbeatMs?: number;
  /** Heartbeats missed in a row before the host is declared dead. */
  missedHeartbeats?: number;
  maxFrameBytes?: number;
  /** Bound for requests that set no `timeoutMs` of their own. */
  defaultTimeoutMs?: number;
  /** Killed when the host goes silent or breaks the protocol, so a wedged host frees its slot. */
  process?: { kill(): void };
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

type EventHandler = (data: unknown) => void;

interface Pending {
  settle(frame: ResponseFrame): void;
  fail(error: ChannelError): void;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The server's end of one session host's socket: requests with ids and deadlines, events, and a
 * watchdog on heartbeats. Any frame counts as a sign of life; silence kills the host.
 */
export class HostChannel {
  #socket: net.Socket;
  #logger: Logger;
  #decoder: FrameDecoder;
  #maxFrameBytes: number;
  #defaultTimeoutMs: number;
  #deadAfterMs: number;
  #process: { kill(): void } | undefined;
  #pending = new Map<number, Pending>();
  #handlers = new Map<string, Set<EventHandler>>();
  #nextId = 1;
  #lastSeen = Date.now();
  #watchdog: NodeJS.Timeout;
  #endError: ChannelError | undefined;
  #closed: Promise<ChannelError>;
  #resolveClosed!: (error: ChannelError) => void;

  constructor(socket: net.Socket, options: HostChannelOptions) {
    const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.#socket = socket;
    this.#logger = options.logger;
    this.#maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.#decoder = new FrameDecoder(this.#maxFrameBytes);
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#deadAfterMs = heartbeatMs * (options.missedHeartbeats ?? DEFAULT_MISSED_HEARTBEATS);
    this.#process = options.process;
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#watchdog = setInterval(() => this.#checkHeartbeat(), heartbeatMs).unref();
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", (err) => this.#logger.debug({ err }, "host channel socket error"));
    socket.on("close", () =>
      this.#end(new ChannelError("HOST_EXITED", "the session host closed its channel (it exited)")),
    );
  }

  /** Settles once with why the channel ended; every pending request has been rejected by then. */
  get closed(): Promise<ChannelError> {
    return this.#closed;
  }

  get isOpen(): boolean {
    return this.#endError === undefined;
  }

  /** Runs handler `type` in the host; rejects with ChannelError on timeout, abort or host death. */
  request<T>(type: string, payload: unknown, options: RequestOptions = {}): Promise<T> {
    if (this.#endError) return Promise.reject(this.#endError);
    if (options.signal?.aborted) return Promise.reject(abortedError(type, options.signal));
    const id = this.#nextId++;
    let line: string;
    try {
      line = encodeFrame({ id, type, payload }, this.#maxFrameBytes);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise<T>((resolve, reject) => {
      const disarm = this.#arm(id, type, options);
      this.#pending.set(id, {
        settle: (frame) => {
          disarm();
          if (frame.ok) resolve(frame.result as T);
          else reject(new ChannelError("REMOTE", frame.error.message));
        },
        fail: (error) => {
          disarm();
          reject(error);
        },
      });
      this.#socket.write(line);
    });
  }

  /** Subscribes to host events named `event`; returns the unsubscribe function. */
  on(event: string, handler: EventHandler): () => void {
    const set = this.#handlers.get(event) ?? new Set();
    set.add(handler);
    this.#handlers.set(event, set);
    return () => set.delete(handler);
  }

  /** Ends the channel from the server's side; the host sees its socket close. */
  close(): void {
    this.#end(new ChannelError("CLOSED", "the host channel was closed by the server"));
  }

  #arm(id: number, type: string, options: RequestOptions): () => void {
    const timeoutMs = options.timeoutMs ?? this.#defaultTimeoutMs;
    const timer = setTimeout(() => {
      const message = `request '${type}' got no answer within ${timeoutMs} ms`;
      this.#giveUp(id, new ChannelError("TIMEOUT", message));
    }, timeoutMs);
    const signal = options.signal;
    const onAbort = () => signal && this.#giveUp(id, abortedError(type, signal));
    signal?.addEventListener("abort", onAbort, { once: true });
    return () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
  }

  /** The caller stopped waiting: tell the host so it can stop the work too. */
  #giveUp(id: number, error: ChannelError): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    this.#send({ cancel: id });
    pending.fail(error);
  }

  #send(frame: ServerFrame): void {
    if (this.#endError) return;
    this.#socket.write(encodeFrame(frame, this.#maxFrameBytes));
  }

  #onData(chunk: Buffer): void {
    let frames: unknown[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (err) {
      const message = `the session host broke the protocol: ${(err as Error).message}`;
      this.#fail(new ChannelError("PROTOCOL", message, { cause: err }));
      return;
    }
    this.#lastSeen = Date.now();
    for (const frame of frames) this.#dispatch(frame);
  }

  #dispatch(frame: unknown): void {
    if (isResponse(frame)) {
      const pending = this.#pending.get(frame.id);
      this.#pending.delete(frame.id);
      pending?.settle(frame);
    } else if (isEvent(frame)) {
      for (const handler of this.#handlers.get(frame.event) ?? [])
        this.#deliver(handler, frame.data);
    }
  }

  #deliver(handler: EventHandler, data: unknown): void {
    try {
      handler(data);
    } catch (err) {
      this.#logger.error({ err }, "host event handler threw");
    }
  }

  #checkHeartbeat(): void {
    const silentMs = Date.now() - this.#lastSeen;
    if (silentMs <= this.#deadAfterMs) return;
    const message = `the session host sent no heartbeat for ${silentMs} ms; it was declared dead and killed`;
    this.#fail(new ChannelError("HOST_DEAD", message));
  }

  /** The host is wedged or hostile: kill it, then end the channel. */
  #fail(error: ChannelError): void {
    if (this.#endError) return;
    this.#logger.warn({ code: error.code, reason: error.message }, "session host failed");
    this.#process?.kill();
    this.#end(error);
  }

  #end(error: ChannelError): void {
    if (this.#endError) return;
    this.#endError = error;
    clearInterval(this.#watchdog);
    this.#socket.destroy();
    for (const pending of this.#pending.values()) pending.fail(error);
    this.#pending.clear();
    this.#resolveClosed(error);
  }
}

function abortedError(type: string, signal: AbortSignal): ChannelError {
  return new ChannelError("ABORTED", `request '${type}' was aborted`, { cause: signal.reason });
}

/**
 * The listening socket a session host connects to. It takes exactly one connection and then
 * stops listening and removes its file, so nothing else in the sandbox can connect later.
 */
export class HostListener {
  #server: net.Server;
  #socketPath: string;

  private constructor(server: net.Server, socketPath: string) {
    this.#server = server;
    this.#socketPath = socketPath;
  }

  static async open(socketPath: string): Promise<HostListener> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return new HostListener(server, socketPath);
  }

  /** The host's connection, or ChannelError when it does not connect in time. */
  async accept(options: { timeoutMs: number; signal?: AbortSignal }): Promise<net.Socket> {
    try {
      return await this.#firstConnection(options);
    } finally {
      this.close();
    }
  }

  close(): void {
    this.#server.close();
    rmSync(this.#socketPath, { force: true });
  }

  #firstConnection(options: { timeoutMs: number; signal?: AbortSignal }): Promise<net.Socket> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#server.off("connection", resolve);
        const why = timeout.aborted ? `within ${options.timeoutMs} ms` : "before it was aborted";
        reject(new ChannelError("HOST_DEAD", `the session host did not connect ${why}`));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.#server.once("connection", (socket) => {
        signal.removeEventListener("abort", onAbort);
        resolve(socket);
      });
    });
  }
}
