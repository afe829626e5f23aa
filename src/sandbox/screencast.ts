// The live view's source, inside the session host: Chromium's screencast of the content tab and
// the input a person sends from the interactive viewer, over a plain DevTools WebSocket (the host's
// main thread does not load Playwright).
import { contentTab, listTabs } from "../runtimes/cdp-chromium.ts";

/** What a viewer may send; the server checks the shape before it reaches here. */
export type ViewInput =
  | {
      type: "mouse";
      action: "mousePressed" | "mouseReleased" | "mouseMoved";
      x: number;
      y: number;
      button?: "left" | "right" | "middle" | "none";
      clickCount?: number;
    }
  | { type: "wheel"; x: number; y: number; deltaX: number; deltaY: number }
  | { type: "key"; action: "keyDown" | "keyUp"; key: string; code?: string; keyCode?: number }
  | { type: "text"; text: string };

/** One screencast frame, as the server relays it to viewers. */
export interface ViewFrame {
  /** Base64 JPEG. */
  data: string;
  width: number;
  height: number;
  url: string;
  /** Every tab of the session's browser, the shown one included. */
  tabs: { title: string; url: string }[];
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

const MAX_WIDTH = 1280;
const MAX_HEIGHT = 720;

/** Chromium's screencast of the session's content tab, and input into that tab. */
export class Screencast {
  readonly #cdpHost: string;
  readonly #onFrame: (frame: ViewFrame) => void;
  #socket: WebSocket | undefined;
  #opening: Promise<WebSocket> | undefined;
  #nextId = 1;
  #pending = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  #url = "";
  #tabs: { title: string; url: string }[] = [];

  /** `cdpHost` is `127.0.0.1:<port>` of the session's Chromium. */
  constructor(cdpHost: string, onFrame: (frame: ViewFrame) => void) {
    this.#cdpHost = cdpHost;
    this.#onFrame = onFrame;
  }

  async start(): Promise<void> {
    await this.#send("Page.enable", {});
    await this.#send("Page.startScreencast", {
      format: "jpeg",
      quality: 70,
      maxWidth: MAX_WIDTH,
      maxHeight: MAX_HEIGHT,
    });
  }

  async stop(): Promise<void> {
    if (!this.#socket) return;
    await this.#send("Page.stopScreencast", {}).catch(() => undefined);
    this.close();
  }

  async input(event: ViewInput): Promise<void> {
    if (event.type === "text")
      return void (await this.#send("Input.insertText", { text: event.text }));
    if (event.type === "wheel") {
      const { x, y, deltaX, deltaY } = event;
      await this.#send("Input.dispatchMouseEvent", { type: "mouseWheel", x, y, deltaX, deltaY });
      return;
    }
    if (event.type === "key") {
      const type = event.action === "keyDown" ? "rawKeyDown" : "keyUp";
      const { key, code, keyCode } = event;
      await this.#send("Input.dispatchKeyEvent", {
        type,
        key,
        code,
        windowsVirtualKeyCode: keyCode,
      });
      return;
    }
    const { action, x, y, button = "left", clickCount = 1 } = event;
    await this.#send("Input.dispatchMouseEvent", {
      type: action,
      x,
      y,
      button: action === "mouseMoved" ? "none" : button,
      clickCount: action === "mouseMoved" ? 0 : clickCount,
    });
  }

  close(): void {
    this.#socket?.close();
    this.#socket = undefined;
    this.#opening = undefined;
  }

  async #send(method: string, params: Record<string, unknown>): Promise<unknown> {
    const socket = await this.#connect();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  }

  #connect(): Promise<WebSocket> {
    this.#opening ??= this.#open();
    return this.#opening;
  }

  /** The content tab's own DevTools socket: the first page that is not blank. */
  async #open(): Promise<WebSocket> {
    const tabs = await listTabs(this.#cdpHost);
    this.#tabs = tabs.map((t) => ({ title: t.title, url: t.url }));
    const target = contentTab(tabs);
    this.#url = target.url;
    const socket = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error("could not reach the tab")), {
        once: true,
      });
    });
    socket.addEventListener("message", (event) => this.#receive(String(event.data)));
    socket.addEventListener("close", () => {
      for (const pending of this.#pending.values()) pending.reject(new Error("the tab went away"));
      this.#pending.clear();
      if (this.#socket === socket) this.close();
    });
    this.#socket = socket;
    return socket;
  }

  #receive(text: string): void {
    const message = JSON.parse(text) as CdpMessage;
    if (message.id !== undefined) {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error) pending?.reject(new Error(message.error.message));
      else pending?.resolve(message.result);
      return;
    }
    if (message.method === "Page.screencastFrame") this.#frame(message.params ?? {});
    if (message.method === "Page.frameNavigated") this.#navigated(message.params ?? {});
  }

  /** Acked at once: pacing is per viewer on the server, where a slow one only skips frames. */
  #frame(params: Record<string, unknown>): void {
    const metadata = (params.metadata ?? {}) as { deviceWidth?: number; deviceHeight?: number };
    void this.#send("Page.screencastFrameAck", { sessionId: params.sessionId }).catch(
      () => undefined,
    );
    this.#onFrame({
      data: String(params.data),
      width: metadata.deviceWidth ?? 0,
      height: metadata.deviceHeight ?? 0,
      url: this.#url,
      tabs: this.#tabs,
    });
  }

  /** A navigation may have changed the tabs too: their list is read again. */
  #navigated(params: Record<string, unknown>): void {
    const frame = params.frame as { parentId?: string; url?: string } | undefined;
    if (frame && !frame.parentId && frame.url) this.#url = frame.url;
    void this.#readTabs();
  }

  async #readTabs(): Promise<void> {
    try {
      const tabs = await listTabs(this.#cdpHost);
      this.#tabs = tabs.map((t) => ({ title: t.title, url: t.url }));
    } catch {
      // The browser is going away; the session's end is reported elsewhere.
    }
  }
}
