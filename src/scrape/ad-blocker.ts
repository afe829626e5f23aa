import type { CDPSession, Page } from "playwright-core";
import { AD_HOSTS } from "./ad-hosts.ts";

/**
 * Blocks AD_HOSTS with CDP `Network.setBlockedURLs`: the renderer refuses the request before
 * any DNS lookup or connection, and there is no per-request interception round trip.
 */
const URL_PATTERNS = AD_HOSTS.map((host) => ({ urlPattern: `*://{*.}?${host}:*/*`, block: true }));
/** The older wildcard form, for Chromium builds without `urlPatterns` (before ~M138). */
const LEGACY_URLS = AD_HOSTS.flatMap((host) => [`*://${host}/*`, `*://*.${host}/*`]);

interface Blocking {
  session: CDPSession;
  on: boolean;
}

const pages = new WeakMap<Page, Promise<Blocking>>();

/** Turns ad blocking on or off for a page; a no-op when it is already in that state. */
export async function setAdBlocking(page: Page, on: boolean): Promise<void> {
  const current = pages.get(page);
  if (!current && !on) return;
  const next = (current ?? openSession(page)).then(async (blocking) => {
    if (blocking.on !== on) await applyBlocking(blocking.session, on);
    return { session: blocking.session, on };
  });
  pages.set(page, next);
  await next;
}

async function openSession(page: Page): Promise<Blocking> {
  const session = await page.context().newCDPSession(page);
  // The blocked-URL list is only enforced while the Network domain is enabled on this session.
  await session.send("Network.enable", { maxTotalBufferSize: 0, maxResourceBufferSize: 0 });
  return { session, on: false };
}

async function applyBlocking(session: CDPSession, on: boolean): Promise<void> {
  try {
    await session.send("Network.setBlockedURLs", { urlPatterns: on ? URL_PATTERNS : [] });
  } catch {
    await session.send("Network.setBlockedURLs", { urls: on ? LEGACY_URLS : [] });
  }
}
