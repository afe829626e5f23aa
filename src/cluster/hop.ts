import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * The header a node puts on a call it forwards to a peer: `<origin node>.<ms>.<signature>`, the
 * signature an HMAC-SHA256 under CLUSTER_SECRET of the method, the path, the time and the origin.
 * It proves a peer sent the call, recently; the client's own credentials still travel with it and
 * are checked again by the node that answers.
 */
export const HOP_HEADER = "x-skiff-hop";

/** How old a hop may be: a captured header stops working after this. */
export const HOP_MAX_AGE_MS = 30_000;

export interface HopCall {
  method: string;
  /** The request target as sent: path and query. */
  path: string;
}

export function signHop(secret: string, origin: string, call: HopCall, now = Date.now()): string {
  return `${origin}.${now}.${signature(secret, origin, call, now)}`;
}

export type HopCheck = { ok: true; origin: string } | { ok: false; reason: string };

/** Whether `header` is a fresh hop for this very call, signed with `secret`. */
export function verifyHop(
  secret: string,
  header: string | string[] | undefined,
  call: HopCall,
  now = Date.now(),
): HopCheck {
  if (typeof header !== "string") return { ok: false, reason: "no hop header" };
  const [origin, at, mac, ...rest] = header.split(".");
  const time = Number(at);
  if (!origin || !mac || rest.length > 0 || !Number.isSafeInteger(time)) {
    return { ok: false, reason: "a malformed hop header" };
  }
  if (Math.abs(now - time) > HOP_MAX_AGE_MS) return { ok: false, reason: "a stale hop header" };
  const expected = Buffer.from(signature(secret, origin, call, time), "hex");
  const given = Buffer.from(mac, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "a hop header with a wrong signature" };
  }
  return { ok: true, origin };
}

function signature(secret: string, origin: string, call: HopCall, time: number): string {
  return createHmac("sha256", secret)
    .update(`${call.method.toUpperCase()}|${call.path}|${time}|${origin}`)
    .digest("hex");
}

/** Requests that came in on the internal port with a valid hop, by the node that sent them. */
const forwarded = new WeakMap<IncomingMessage, string>();

export function markForwarded(request: IncomingMessage, origin: string): void {
  forwarded.set(request, origin);
}

/** The peer that forwarded this request; undefined when a client sent it here directly. */
export function forwardedBy(request: IncomingMessage): string | undefined {
  return forwarded.get(request);
}
