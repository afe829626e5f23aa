import type { Browser, BrowserContext, Page } from "playwright-core";
import { isAppError } from "../errors.ts";
import { runActions } from "../scrape/actions.ts";
import { Deadline, settleWithin } from "../scrape/deadline.ts";
import type { Action } from "../scrape/scrape-request.ts";

/** What a session replays to reproduce a scrape (spec §2.4); output-only actions are gone. */
export interface ReplayRequest {
  url: string;
  waitForMs: number;
  actions: Action[];
  timeoutMs: number;
  /** A profile's saved state, loaded into the session's context before the page (spec §2.10). */
  storageState?: unknown;
}

type StorageStateInput = Exclude<Parameters<BrowserContext["setStorageState"]>[0], string>;

/** The session's browser state, to save into its profile when it ends (spec §2.10). */
export async function exportStorageState(browser: Browser): Promise<unknown> {
  const context = browser.contexts()[0];
  if (!context) throw new Error("the session's browser has no context");
  return context.storageState({ indexedDB: true });
}

/** Where the replay left the session: its one content tab. */
export interface ReplayResult {
  url: string;
  title: string;
  tabs: number;
}

/** Every reply to a failed replay starts with this, followed by the reason. */
export const REPLAY_FAILED_PREFIX = "Replay failed:";

/** Spec §2.4 caps the replayed `waitFor` at 30 s, whatever the scrape waited. */
const MAX_REPLAY_WAIT_MS = 30_000;
/** Pages open stray tabs from their load handlers; the tab sync waits that long for them. */
const LOAD_GRACE_MS = 5_000;
/** The longest wait for a tab the browser has to reach Playwright. */
const TAB_ATTACH_MS = 2_000;

/**
 * Reproduces a scrape in the session's browser (spec §2.4): navigate, wait, run the actions, then
 * leave exactly one content tab in front. Any failure is an Error starting "Replay failed:".
 */
export async function replayScrape(
  browser: Browser,
  request: ReplayRequest,
  signal: AbortSignal,
): Promise<ReplayResult> {
  const deadline = new Deadline(request.timeoutMs, signal);
  try {
    return await replay(browser, request, deadline);
  } catch (err) {
    throw new Error(`${REPLAY_FAILED_PREFIX} ${reasonOf(err, request.timeoutMs)}`, { cause: err });
  }
}

async function replay(
  browser: Browser,
  request: ReplayRequest,
  deadline: Deadline,
): Promise<ReplayResult> {
  const context = browser.contexts()[0];
  if (!context) throw new Error("the session's browser has no context");
  const page = context.pages()[0] ?? (await deadline.race(context.newPage()));
  if (request.storageState)
    await deadline.race(context.setStorageState(request.storageState as StorageStateInput));
  await goto(page, request.url, deadline);
  await deadline.sleep(Math.min(request.waitForMs, MAX_REPLAY_WAIT_MS));
  await runActions(page, request.actions, deadline);
  await settleWithin(page.waitForLoadState("load"), Math.min(LOAD_GRACE_MS, deadline.remaining()));
  await waitForOpenedTabs(browser, context, deadline);
  const kept = await keepOneTab(context, deadline);
  const title = await deadline.race(kept.title());
  return { url: kept.url(), title, tabs: context.pages().length };
}

async function goto(page: Page, url: string, deadline: Deadline): Promise<void> {
  try {
    await deadline.bound((timeout) => page.goto(url, { waitUntil: "domcontentloaded", timeout }));
  } catch (err) {
    if (isAppError(err)) throw err;
    throw new Error(`Failed to load scrape URL: ${reasonOf(err, 0)}`, { cause: err });
  }
}

/**
 * A tab a page opened exists in the browser as soon as `window.open` returns (Chromium creates it
 * before answering), but reaches Playwright a moment later. So the browser's own count of tabs
 * says whether to wait for more, instead of a fixed pause on every replay.
 */
async function waitForOpenedTabs(
  browser: Browser,
  context: BrowserContext,
  deadline: Deadline,
): Promise<void> {
  const cdp = await deadline.race(browser.newBrowserCDPSession());
  try {
    const { targetInfos } = await deadline.race(cdp.send("Target.getTargets"));
    const tabs = targetInfos.filter((target) => target.type === "page").length;
    const until = Date.now() + Math.min(TAB_ATTACH_MS, deadline.remaining());
    while (context.pages().length < tabs && Date.now() < until) {
      const left = until - Date.now();
      await settleWithin(context.waitForEvent("page", { timeout: left }), left);
    }
  } finally {
    await cdp.detach().catch(() => {});
  }
}

/** Keeps the last non-blank tab (a link may have opened it), closes the rest, brings it to front. */
async function keepOneTab(context: BrowserContext, deadline: Deadline): Promise<Page> {
  const pages = context.pages();
  const keep = pages.filter((p) => p.url() !== "about:blank").at(-1) ?? pages[0];
  if (!keep) return deadline.race(context.newPage());
  await deadline.race(Promise.all(pages.filter((p) => p !== keep).map((p) => p.close())));
  await deadline.race(keep.bringToFront());
  return keep;
}

function reasonOf(err: unknown, timeoutMs: number): string {
  if (isAppError(err) && err.kind === "SCRAPE_TIMEOUT") {
    return `the replay did not finish within ${timeoutMs} ms`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0] ?? message;
}

/**
 * The node runtime's choice of tab, matching what the replay kept: the first non-blank page of
 * the first context. Sent to the worker as source text, so it must stay self-contained.
 */
export async function pickContentPage(browser: Browser): Promise<Page> {
  const context = browser.contexts()[0];
  if (!context) throw new Error("the browser has no context to run in");
  const pages = context.pages();
  return pages.find((p) => p.url() !== "about:blank") ?? pages[0] ?? (await context.newPage());
}
