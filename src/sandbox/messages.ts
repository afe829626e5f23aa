/**
 * The wire format between the API server and a session host: one JSON object per line over a
 * Unix socket. Requests carry an id and are answered once; events and heartbeats carry none.
 */

/** Server → host: run handler `type` with `payload`; answered by one `ResponseFrame` with the same id. */
export interface RequestFrame {
  id: number;
  type: string;
  payload: unknown;
}

/** Server → host: the caller gave up on request `cancel` (timeout or abort); the host may stop it. */
export interface CancelFrame {
  cancel: number;
}

export interface RemoteErrorShape {
  message: string;
  name?: string;
}

/** Host → server: the answer to request `id`. */
export type ResponseFrame =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: RemoteErrorShape };

/** Host → server: something happened that no request asked for (a console line, a screencast frame). */
export interface EventFrame {
  event: string;
  data: unknown;
}

/** Host → server: "still alive", sent every `heartbeatMs`; the number only helps reading logs. */
export interface HeartbeatFrame {
  heartbeat: number;
}

export type ServerFrame = RequestFrame | CancelFrame;
export type HostFrame = ResponseFrame | EventFrame | HeartbeatFrame;

/** A screencast frame is the largest thing on the wire; 8 MiB holds a full-HD JPEG in base64. */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;
export const DEFAULT_HEARTBEAT_MS = 1000;
/** Heartbeats missed in a row before the server declares the host dead. */
export const DEFAULT_MISSED_HEARTBEATS = 3;

export class FrameTooLargeError extends Error {
  constructor(bytes: number, max: number) {
    super(`channel frame of ${bytes} bytes exceeds the ${max}-byte limit`);
    this.name = "FrameTooLargeError";
  }
}

/** One frame as a line, or FrameTooLargeError before anything is written. */
export function encodeFrame(frame: ServerFrame | HostFrame, maxBytes: number): string {
  const line = JSON.stringify(frame) + "\n";
  const bytes = Buffer.byteLength(line);
  if (bytes > maxBytes) throw new FrameTooLargeError(bytes, maxBytes);
  return line;
}

/**
 * Splits a byte stream into JSON frames. A peer that sends a line longer than `maxBytes` is
 * broken or hostile, so `push` throws rather than buffering without bound.
 */
export class FrameDecoder {
  #maxBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The complete frames in `chunk` (plus what was buffered), parsed. */
  push(chunk: Buffer): unknown[] {
    const frames: unknown[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.#append(chunk.subarray(start, nl));
      frames.push(JSON.parse(Buffer.concat(this.#pending).toString("utf8")));
      this.#pending = [];
      this.#pendingBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length) this.#append(chunk.subarray(start));
    return frames;
  }

  #append(part: Buffer): void {
    this.#pendingBytes += part.length;
    if (this.#pendingBytes + 1 > this.#maxBytes) {
      throw new FrameTooLargeError(this.#pendingBytes + 1, this.#maxBytes);
    }
    this.#pending.push(part);
  }
}

export function isResponse(frame: unknown): frame is ResponseFrame {
  return isObject(frame) && typeof frame.id === "number" && typeof frame.ok === "boolean";
}

export function isEvent(frame: unknown): frame is EventFrame {
  return isObject(frame) && typeof frame.event === "string";
}

export function isRequest(frame: unknown): frame is RequestFrame {
  return isObject(frame) && typeof frame.id === "number" && typeof frame.type === "string";
}

export function isCancel(frame: unknown): frame is CancelFrame {
  return isObject(frame) && typeof frame.cancel === "number";
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}
