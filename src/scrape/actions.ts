import vm from "node:vm";
import type { Page } from "playwright-core";
import { AppError, isAppError } from "../errors.ts";
import type { Deadline } from "./deadline.ts";
import type { ActionOutputs } from "./page-capture.ts";
import type { Action } from "./scrape-request.ts";
import { takeScreenshot } from "./screenshot.ts";

type ActionOf<T extends Action["type"]> = Extract<Action, { type: T }>;

/**
 * Runs spec §1.4's actions in order, each bounded by what is left of the deadline. A failing
 * action stops the run with SCRAPE_ACTION_ERROR naming it; a passed deadline is SCRAPE_TIMEOUT.
 */
export async function runActions(
  page: Page,
  actions: readonly Action[],
  deadline: Deadline,
): Promise<ActionOutputs> {
  const outputs: ActionOutputs = { screenshots: [], scrapes: [], javascriptReturns: [], pdfs: [] };
  for (const [index, action] of actions.entries()) {
    deadline.throwIfOver();
    try {
      await runAction(page, action, deadline, outputs);
    } catch (error) {
      throw actionError(error, index, action, deadline);
    }
  }
  return outputs;
}

async function runAction(
  page: Page,
  action: Action,
  deadline: Deadline,
  outputs: ActionOutputs,
): Promise<void> {
  switch (action.type) {
    case "wait":
      return wait(page, action, deadline);
    case "click":
      return click(page, action, deadline);
    case "screenshot":
      outputs.screenshots.push(await takeScreenshot(page, action, deadline));
      return;
    case "write":
      return deadline.race(page.keyboard.type(action.text));
    case "press":
      return deadline.race(page.keyboard.press(action.key));
    case "scroll":
      return scroll(page, action, deadline);
    case "scrape":
      outputs.scrapes.push({ url: page.url(), html: await deadline.race(page.content()) });
      return;
    case "executeJavascript":
      outputs.javascriptReturns.push(await executeJavascript(page, action.script, deadline));
      return;
    case "pdf":
      outputs.pdfs.push(await pdf(page, action, deadline));
      return;
  }
}

async function wait(page: Page, action: ActionOf<"wait">, deadline: Deadline): Promise<void> {
  if (action.selector !== undefined) {
    const target = page.locator(action.selector).first();
    await deadline.bound((timeout) => target.waitFor({ timeout }));
  } else {
    await deadline.sleep(action.milliseconds ?? 0);
  }
}

async function click(page: Page, action: ActionOf<"click">, deadline: Deadline): Promise<void> {
  const matches = page.locator(action.selector);
  await deadline.bound((timeout) => matches.first().click({ timeout }));
  if (!action.all) return;
  const rest = (await deadline.race(matches.all())).slice(1);
  for (const match of rest) await deadline.bound((timeout) => match.click({ timeout }));
}

/** The window by one viewport, or the element: scrolled within when it scrolls, else into view. */
async function scroll(page: Page, action: ActionOf<"scroll">, deadline: Deadline): Promise<void> {
  const sign = action.direction === "up" ? -1 : 1;
  if (action.selector === undefined) {
    await deadline.race(page.evaluate(scrollWindow, sign));
  } else {
    const target = page.locator(action.selector).first();
    await deadline.bound((timeout) => target.evaluate(scrollElement, sign, { timeout }));
  }
}

/** Both wait two frames (at most 100 ms), so scroll handlers and IntersectionObservers have run. */
async function scrollWindow(sign: number): Promise<void> {
  window.scrollBy(0, sign * window.innerHeight);
  await new Promise((r) => {
    requestAnimationFrame(() => requestAnimationFrame(r));
    setTimeout(r, 100);
  });
}

async function scrollElement(el: Element, sign: number): Promise<void> {
  const scrolls = /auto|scroll/.test(getComputedStyle(el).overflowY);
  if (scrolls && el.scrollHeight > el.clientHeight) el.scrollBy(0, sign * el.clientHeight);
  else el.scrollIntoView({ block: sign < 0 ? "start" : "end" });
  await new Promise((r) => {
    requestAnimationFrame(() => requestAnimationFrame(r));
    setTimeout(r, 100);
  });
}

/**
 * Runs the script the way Firecrawl does, so both `document.title` and `return x;` work: as an
 * expression when it parses as one, else as a function body. Promises are awaited.
 */
async function executeJavascript(
  page: Page,
  script: string,
  deadline: Deadline,
): Promise<{ type: string; value: unknown }> {
  const trimmed = script.trim().replace(/;+$/, "");
  const body = isExpression(trimmed) ? `return (\n${trimmed}\n);` : script;
  const wrapped = `(async () => {\n${body}\n})().then((v) => ({
    type: typeof v,
    value: v === undefined ? null : v,
  }))`;
  return deadline.race(page.evaluate<{ type: string; value: unknown }>(wrapped));
}

/** Compiles (never runs) the script as an expression to tell the two forms apart. */
function isExpression(script: string): boolean {
  try {
    new vm.Script(`(async () => (\n${script}\n))`);
    return true;
  } catch {
    return false;
  }
}

function pdf(page: Page, action: ActionOf<"pdf">, deadline: Deadline): Promise<Buffer> {
  return deadline.race(
    page.pdf({ landscape: action.landscape, scale: action.scale, format: action.format }),
  );
}

/**
 * A selector that matched nothing before the deadline is the action's failure, whichever timer
 * fired first; any other error of the deadline or the caller passes through unchanged.
 */
function actionError(error: unknown, index: number, action: Action, deadline: Deadline): unknown {
  const selector = "selector" in action ? action.selector : undefined;
  const timedOut =
    isPlaywrightTimeout(error) || (isAppError(error) && error.kind === "SCRAPE_TIMEOUT");
  if (selector !== undefined && timedOut) {
    return failed(index, `${action.type} ${JSON.stringify(selector)}`, timeoutReason(error), error);
  }
  if (isAppError(error) && error.kind !== "SCRAPE_ACTION_ERROR") return error;
  if (deadline.signal.aborted && !isPlaywrightTimeout(error)) return error;
  const reason = error instanceof Error ? firstLine(error.message) : String(error);
  return failed(index, action.type, reason, error);
}

function failed(index: number, what: string, reason: string, cause: unknown): AppError {
  return new AppError(
    "SCRAPE_ACTION_ERROR",
    `Action(s) failed to complete. Error code: action ${index} (${what}) failed: ${reason}`,
    { cause },
  );
}

function timeoutReason(error: unknown): string {
  return isPlaywrightTimeout(error) && error instanceof Error
    ? firstLine(error.message)
    : "no element matched the selector before the scrape's timeout";
}

function isPlaywrightTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === "TimeoutError";
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}
