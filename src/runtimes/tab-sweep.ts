// Before a new Playwright connection to a browser that user code has had (the node runtime's
// worker after a timeout), the tabs that would hold that connection forever are closed.
// Playwright's connection initialises every tab, and two kinds of tab never let it:
// - a tab that never showed a document (Chromium lists its URL as ""): Playwright waits for its
//   first one, and a popup whose load became a download while the code that opened it was stuck
//   never shows one (the worker that would have seen the download begin was stuck);
// - a tab stuck in its own JavaScript (`page.evaluate(() => { while (true) {} })` runs on there
//   after the call's timeout), which answers no DevTools command. A new DevTools session cannot
//   interrupt that script either: attaching waits for the same thread. Closing the tab can.
// Either way every later call failed after the connection's timeout, for the rest of the session.
import { setTimeout as delay } from "node:timers/promises";
import type { LevelLogger } from "../log.ts";
import { listTabs, type PageTarget } from "./cdp-chromium.ts";
import { withTimeout } from "./with-timeout.ts";

/**
 * How long a tab may take to show its first document, or to evaluate `0`, before a sweep closes
 * it.
 */
const GRACE_MS = 2_000;

/**
 * Sweeps the browser at `cdpEndpoint` (`ws://…/devtools/browser/…`) before a new connection to it,
 * logging what it closed. A browser whose tabs cannot be listed is logged too, and the connection
 * is tried all the same.
 */
export async function sweepBeforeConnecting(
  cdpEndpoint: string,
  logger: LevelLogger,
): Promise<void> {
  try {
    const swept = await sweepTabs(new URL(cdpEndpoint).host, GRACE_MS);
    if (swept.withoutDocument + swept.stuck > 0) {
      logger.warn(swept, "closed tabs that a new Playwright connection would wait on");
    }
  } catch (err) {
    logger.warn({ err }, "could not look for tabs that a new connection would wait on");
  }
}

/** What a sweep closed. */
export interface Swept {
  withoutDocument: number;
  stuck: number;
}

const POLL_MS = 100;

/**
 * Closes the tabs at `cdpHost` that would hold a new connection: the ones that show no document
 * after `graceMs` (a first page may still be loading), and the ones that do not evaluate `0`
 * within it. It returns once they are gone from the browser's list (a stuck one takes a moment to
 * close) or `graceMs` more has passed, so that a connection made next does not meet them closing.
 */
export async function sweepTabs(cdpHost: string, graceMs: number): Promise<Swept> {
  const verdicts = await Promise.all(
    (await listTabs(cdpHost)).map((tab) =>
      tab.url === "" ? untilDocument(cdpHost, tab, graceMs) : stuckIn(tab, graceMs),
    ),
  );
  const closing = verdicts.filter((v) => v.close);
  await Promise.all(closing.map((v) => fetch(`http://${cdpHost}/json/close/${v.id}`)));
  if (closing.length > 0) await untilGone(cdpHost, new Set(closing.map((v) => v.id)), graceMs);
  const count = (reason: Verdict["reason"]) => closing.filter((v) => v.reason === reason).length;
  return { withoutDocument: count("withoutDocument"), stuck: count("stuck") };
}

async function untilGone(cdpHost: string, ids: Set<string>, graceMs: number): Promise<void> {
  const until = Date.now() + graceMs;
  while (Date.now() < until && (await listTabs(cdpHost)).some((t) => ids.has(t.id))) {
    await delay(POLL_MS);
  }
}

interface Verdict {
  id: string;
  close: boolean;
  reason: keyof Swept;
}

/** Whether the tab is still without a document once `graceMs` has passed. */
async function untilDocument(cdpHost: string, tab: PageTarget, graceMs: number): Promise<Verdict> {
  const until = Date.now() + graceMs;
  const blank = async () => (await listTabs(cdpHost)).some((t) => t.id === tab.id && t.url === "");
  let close = true;
  while (close && Date.now() < until) {
    await delay(POLL_MS);
    close = await blank();
  }
  return { id: tab.id, close, reason: "withoutDocument" };
}

/**
 * Whether the tab, once its DevTools socket is open, leaves `0` unevaluated for `graceMs`. A tab
 * whose socket fails or does not open is left alone: that is not a tab this can judge.
 */
async function stuckIn(tab: PageTarget, graceMs: number): Promise<Verdict> {
  const socket = new WebSocket(tab.webSocketDebuggerUrl);
  let opened = false;
  try {
    const answered = new Promise<void>((resolve) => {
      socket.addEventListener("open", () => {
        opened = true;
        socket.send(
          JSON.stringify({ id: 1, method: "Runtime.evaluate", params: { expression: "0" } }),
        );
      });
      socket.addEventListener("message", (event) => {
        if (replyId(String(event.data)) === 1) resolve();
      });
      socket.addEventListener("error", () => resolve());
    });
    const close = (await withTimeout(answered, graceMs)) === "timeout" && opened;
    return { id: tab.id, close, reason: "stuck" };
  } finally {
    socket.close();
  }
}

/** The id of a DevTools reply; undefined for an event, or for what is not JSON. */
function replyId(text: string): unknown {
  try {
    return (JSON.parse(text) as { id?: unknown }).id;
  } catch {
    return undefined;
  }
}
