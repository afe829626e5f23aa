// The Node end of the Python bridge (python/skiff_runner.py), in the node runtime's worker: it
// holds the Playwright objects Python code refers to by id and runs the calls Python sends.
// The translation is generic: a call's name arrives in camelCase, keyword arguments arrive as
// a trailing options object, and any result that is not plain data becomes a new handle.
import type { BrowserContext, Page } from "playwright-core";

/** One message from Python: read a property, or call a method with arguments. */
export interface BridgeCall {
  op: "start" | "get" | "call";
  target?: number;
  name?: string;
  /** The Python name, for the few methods whose arguments need reshaping. */
  python?: string;
  args?: unknown[];
}

export type BridgeReply = { value: unknown } | { error: string; name: string };

/** Methods whose first argument is JavaScript source, which Python passes as a string. */
const TAKES_SOURCE = new Set(["evaluate", "evaluateHandle", "waitForFunction"]);
const SOURCE_AFTER_SELECTOR = new Set(["$eval", "$$eval"]);
const FUNCTION_SOURCE = /^\s*(async\s+)?(\(|function\b|[\w$]+\s*=>)/;

export class PlaywrightBridge {
  readonly #handles = new Map<number, object>();
  #nextId = 1;

  /** Starts a Python call: `page` and `context` as its first two handles. */
  start(page: Page, context: BrowserContext): BridgeReply {
    this.#handles.clear();
    return { value: [this.#wrap(page), this.#wrap(context)] };
  }

  async handle(call: BridgeCall): Promise<BridgeReply> {
    try {
      const target = this.#handles.get(call.target ?? -1);
      if (!target) throw new Error(`no such object (handle ${call.target})`);
      const name = call.name ?? "";
      if (call.op === "get") return { value: this.#encode(await read(target, name)) };
      const args = (call.args ?? []).map((a) => this.#decode(a));
      return { value: this.#encode(await invoke(target, name, args)) };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      return { error: error.message.split("\n")[0] ?? error.message, name: error.name };
    }
  }

  #wrap(value: object): { $handle: number; kind: string } {
    const id = this.#nextId++;
    this.#handles.set(id, value);
    return { $handle: id, kind: value.constructor.name };
  }

  /** Plain data as JSON, bytes as base64, everything else (a Locator, a Page) as a handle. */
  #encode(value: unknown): unknown {
    if (value === null || value === undefined) return null;
    if (Buffer.isBuffer(value)) return { $bytes: value.toString("base64") };
    if (Array.isArray(value)) return value.map((v) => this.#encode(v));
    if (typeof value !== "object") return value;
    if (!isPlainObject(value)) return this.#wrap(value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.#encode(v)]));
  }

  #decode(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.#decode(v));
    if (value === null || typeof value !== "object") return value;
    const record = value as Record<string, unknown>;
    if (typeof record.$handle === "number") return this.#handles.get(record.$handle);
    if (typeof record.$bytes === "string") return Buffer.from(record.$bytes, "base64");
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, this.#decode(v)]));
  }
}

/** A property in Python may be a method in Node (`page.url`, `locator.first`). */
async function read(target: object, name: string): Promise<unknown> {
  const value: unknown = (target as Record<string, unknown>)[name];
  if (typeof value === "function") return (await value.call(target)) as unknown;
  return value;
}

async function invoke(target: object, name: string, args: unknown[]): Promise<unknown> {
  const method = (target as Record<string, unknown>)[name];
  if (typeof method !== "function") throw new Error(`'${name}' is not a method here`);
  return (await method.apply(target, sourceArgs(target, name, args))) as unknown;
}

/**
 * Python gives JavaScript as a string, which Playwright for Python runs as a function when it
 * looks like one; Node's Playwright would evaluate it as an expression and return the function.
 */
function sourceArgs(target: object, name: string, args: unknown[]): unknown[] {
  const at = TAKES_SOURCE.has(name) ? 0 : SOURCE_AFTER_SELECTOR.has(name) ? 1 : -1;
  const source = args[at];
  if (at < 0 || typeof source !== "string" || !FUNCTION_SOURCE.test(source)) return args;
  // A page or frame calls the function with the argument; a locator or element with itself first.
  const onPage = at === 0 && "goto" in target;
  const runner = onPage ? callSourceOnPage : callSourceOnElements;
  return [...args.slice(0, at), runner, [source, args[at + 1]]];
}

// These run in the page, so they must be self-contained.
function callSourceOnPage([source, arg]: [string, unknown]): unknown {
  return ((0, eval)(`(${source})`) as (a: unknown) => unknown)(arg);
}

function callSourceOnElements(elements: unknown, [source, arg]: [string, unknown]): unknown {
  return ((0, eval)(`(${source})`) as (e: unknown, a: unknown) => unknown)(elements, arg);
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
