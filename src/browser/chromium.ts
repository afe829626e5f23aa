import { CHROMIUM_DEFAULT_ARGS } from "./chromium-args.ts";
import { chromium, type Browser } from "playwright-core";
import type { Logger } from "../log.ts";

export interface LaunchOptions {
  /** The system Chromium (config CHROME_PATH); nothing is ever downloaded. */
  executablePath: string;
  logger: Logger;
  /** Appended after the defaults, e.g. `--host-resolver-rules=…` or a proxy. */
  extraArgs?: readonly string[];
  /** How long the process may take to come up. */
  timeoutMs?: number;
}

const DEFAULT_LAUNCH_TIMEOUT_MS = 30_000;

/** Starts a headless Chromium over a pipe; the caller owns it and must close it. */
export async function launchChromium(options: LaunchOptions): Promise<Browser> {
  const args = [...CHROMIUM_DEFAULT_ARGS, ...(options.extraArgs ?? [])];
  const started = Date.now();
  const browser = await chromium.launch({
    executablePath: options.executablePath,
    headless: true,
    args,
    timeout: options.timeoutMs ?? DEFAULT_LAUNCH_TIMEOUT_MS,
    // The process owner (main.ts) handles signals and closes browsers in order.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  options.logger.debug(
    { version: browser.version(), ms: Date.now() - started },
    "chromium launched",
  );
  return browser;
}

/**
 * The browser's own user agent with the headless marker removed and, when given a device's
 * UA, that UA's Chrome version replaced by the real one, so the UA matches the engine.
 */
export function userAgentFor(browser: Browser, deviceUserAgent?: string): string | undefined {
  const major = browser.version().split(".")[0];
  if (!major) return deviceUserAgent;
  if (deviceUserAgent) {
    return deviceUserAgent.replace(/Chrome\/[\d.]+/, `Chrome/${major}.0.0.0`);
  }
  return `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 Safari/537.36`;
}

export { CHROMIUM_DEFAULT_ARGS };
