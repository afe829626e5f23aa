import type { WebSocket } from "ws";
import { z } from "zod";
import type { Logger } from "../log.ts";
import type { SessionHostHandle } from "../sandbox/host-launcher.ts";
import type { ViewFrame, ViewInput } from "../sandbox/screencast.ts";

const point = { x: z.number().finite(), y: z.number().finite() };
/** What an interactive viewer may send into the browser; anything else is dropped. */
const inputSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("mouse"),
    action: z.enum(["mousePressed", "mouseReleased", "mouseMoved"]),
    ...point,
    button: z.enum(["left", "right", "middle", "none"]).optional(),
    clickCount: z.number().int().min(0).max(3).optional(),
  }),
  z.object({
    type: z.literal("wheel"),
    ...point,
    deltaX: z.number().finite(),
    deltaY: z.number().finite(),
  }),
  z.object({
    type: z.literal("key"),
    action: z.enum(["keyDown", "keyUp"]),
    key: z.string().max(32),
    code: z.string().max(32).optional(),
    keyCode: z.number().int().optional(),
  }),
  z.object({ type: z.literal("text"), text: z.string().max(10_000) }),
]);
const messageSchema = z.union([
  z.object({ type: z.literal("ack") }),
  z.object({ type: z.literal("input"), input: inputSchema }),
]);

interface Viewer {
  socket: WebSocket;
  interactive: boolean;
  /** False from sending a frame until the viewer acknowledges it. */
  ready: boolean;
  /** The newest frame that arrived while the viewer was busy; older ones are dropped. */
  waiting: string | undefined;
  release: () => void;
}

/**
 * The viewers of one session: the host's screencast runs while anyone watches, each viewer gets
 * the next frame only once it acknowledged the last (a slow one skips frames, never backs up),
 * and only the interactive ones' input reaches the browser. Viewers keep the session from idling.
 */
export class LiveView {
  readonly #host: SessionHostHandle;
  readonly #hold: () => () => void;
  readonly #logger: Logger;
  readonly #viewers = new Set<Viewer>();
  #unsubscribe: (() => void) | undefined;
  #ended = false;
  /** Chromium sends frames only when the page changes: a viewer who joins gets this one first. */
  #latest: string | undefined;

  constructor(host: SessionHostHandle, hold: () => () => void, logger: Logger) {
    this.#host = host;
    this.#hold = hold;
    this.#logger = logger;
  }

  add(socket: WebSocket, interactive: boolean): void {
    if (this.#ended) return void socket.close(1000, "session ended");
    const viewer: Viewer = {
      socket,
      interactive,
      ready: true,
      waiting: undefined,
      release: this.#hold(),
    };
    this.#viewers.add(viewer);
    socket.on("message", (data: Buffer) => void this.#received(viewer, data));
    socket.on("close", () => this.#remove(viewer));
    socket.on("error", () => socket.terminate());
    if (this.#viewers.size === 1) void this.#start();
    else if (this.#latest) this.#send(viewer, this.#latest);
  }

  /** The session ended: every viewer is told, then closed. */
  end(): void {
    this.#ended = true;
    for (const viewer of this.#viewers) {
      viewer.socket.send(JSON.stringify({ type: "ended" }));
      viewer.socket.close(1000, "session ended");
    }
    this.#stop();
  }

  async #start(): Promise<void> {
    this.#unsubscribe ??= this.#host.onFrame((frame) => this.#broadcast(frame));
    try {
      await this.#host.startView();
    } catch (err) {
      this.#logger.warn({ err }, "live view could not start");
    }
  }

  #stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#latest = undefined;
    void this.#host.stopView().catch(() => undefined);
  }

  #remove(viewer: Viewer): void {
    if (!this.#viewers.delete(viewer)) return;
    viewer.release();
    if (this.#viewers.size === 0 && !this.#ended) this.#stop();
  }

  #broadcast(frame: ViewFrame): void {
    const text = JSON.stringify({ type: "frame", ...frame });
    this.#latest = text;
    for (const viewer of this.#viewers) {
      if (viewer.ready) this.#send(viewer, text);
      else viewer.waiting = text;
    }
  }

  #send(viewer: Viewer, text: string): void {
    viewer.ready = false;
    viewer.waiting = undefined;
    viewer.socket.send(text);
  }

  async #received(viewer: Viewer, data: Buffer): Promise<void> {
    const parsed = messageSchema.safeParse(safeJson(data.toString("utf8")));
    if (!parsed.success) return;
    if (parsed.data.type === "ack") {
      viewer.ready = true;
      if (viewer.waiting) this.#send(viewer, viewer.waiting);
      return;
    }
    // The read-only view is enforced here, whatever its page or a hand-made client sends.
    if (!viewer.interactive) return;
    await this.#host.viewInput(parsed.data.input as ViewInput).catch((err: unknown) => {
      this.#logger.debug({ err }, "viewer input not delivered");
    });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
