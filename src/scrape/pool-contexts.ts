import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import type { Logger } from "../log.ts";
import type { EgressProxy, ProxyListener } from "../net/egress-proxy.ts";
import { applyLanguages, contextOptions, type ContextSpec } from "./context-options.ts";
import { settleWithin } from "./deadline.ts";

/** A browser context, the options it was made with and its own entrance to the egress proxy. */
export interface ContextHandle {
  context: BrowserContext;
  options: BrowserContextOptions;
  egress: ProxyListener | undefined;
}

/** A context with its page open, ready for a scrape. */
export interface WarmPage extends ContextHandle {
  page: Page;
}

export const CLOSE_TIMEOUT_MS = 5_000;

/** A context for `spec` on `browser`, reaching the network only through its own proxy listener. */
export async function openContext(
  browser: Browser,
  spec: ContextSpec,
  deps: { logger: Logger; egress: EgressProxy | undefined; label: string },
): Promise<ContextHandle> {
  const options = contextOptions(spec, browser, deps.logger);
  const egress = await deps.egress?.listenTcp(deps.label);
  // `<-loopback>`: Chromium would otherwise reach loopback directly, around the policy.
  if (egress) options.proxy = { server: egress.url, bypass: "<-loopback>" };
  try {
    return { context: await browser.newContext(options), options, egress };
  } catch (error) {
    await egress?.close();
    throw error;
  }
}

/** A new page in the context, with the spec's languages applied. */
export async function openPage(handle: ContextHandle, spec: ContextSpec): Promise<Page> {
  const page = await handle.context.newPage();
  await applyLanguages(page, spec, handle.options);
  return page;
}

export async function closeQuietly(
  handle: Pick<ContextHandle, "context" | "egress">,
): Promise<void> {
  await settleWithin(handle.context.close(), CLOSE_TIMEOUT_MS);
  await handle.egress?.close();
}
