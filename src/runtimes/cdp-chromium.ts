import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { CHROMIUM_DEFAULT_ARGS } from "../browser/chromium-args.ts";
import { killProcessGroup } from "./process-group.ts";

export interface CdpChromium {
  /** `ws://127.0.0.1:<port>/devtools/browser/<id>`. */
  wsEndpoint: string;
  /** Settles when the browser process exits, whoever ended it. */
  exited: Promise<void>;
  close(): Promise<void>;
}

export interface CdpChromiumOptions {
  executablePath: string;
  extraArgs?: readonly string[];
  timeoutMs?: number;
  /**
   * Default true: Chromium leads its own process group, and close() kills the group. A session
   * host passes false, so Chromium stays in the host's group and whoever kills that group (the
   * sandbox launcher after a crash, the orphan reaper) also kills the browser.
   */
  ownProcessGroup?: boolean;
}

/** Starts a headless Chromium that serves CDP on a free loopback port, with one blank tab. */
export async function launchCdpChromium(options: CdpChromiumOptions): Promise<CdpChromium> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), "skiff-cdp-"));
  const args = [
    ...CHROMIUM_DEFAULT_ARGS,
    ...(options.extraArgs ?? []),
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    `--user-data-dir=${userDataDir}`,
    "about:blank",
  ];
  const ownGroup = options.ownProcessGroup ?? true;
  const child = spawn(options.executablePath, args, {
    detached: ownGroup,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const close = () => stop(child, userDataDir, ownGroup);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    const wsEndpoint = await readEndpoint(child, options.timeoutMs ?? 30_000);
    return { wsEndpoint, exited, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Chromium prints "DevTools listening on ws://…" on stderr once the port is open. */
function readEndpoint(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stderr! });
    const timer = setTimeout(
      () => reject(new Error("chromium did not open its CDP port")),
      timeoutMs,
    );
    lines.on("line", (line) => {
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(line);
      if (!match?.[1]) return;
      // The reader stays attached: it keeps draining stderr so Chromium never blocks on it.
      clearTimeout(timer);
      resolve(match[1]);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited (code ${code}) before opening its CDP port`));
    });
    // A binary that cannot be run (ENOENT, EACCES) is reported here, not as an uncaught error.
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`chromium could not be started: ${err.message}`));
    });
  });
}

/** Without its own group, the browser's helpers exit when it does (they watch its IPC). */
async function stop(child: ChildProcess, userDataDir: string, ownGroup: boolean): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    if (ownGroup) killProcessGroup(child.pid);
    else child.kill("SIGKILL");
    await exited;
  }
  rmSync(userDataDir, { recursive: true, force: true });
}

/** A tab as Chromium's DevTools HTTP endpoint lists it. */
export interface PageTarget {
  id: string;
  title: string;
  url: string;
  webSocketDebuggerUrl: string;
}

/** The browser's tabs, from `http://<cdpHost>/json/list` (`cdpHost` is `127.0.0.1:<port>`). */
export async function listTabs(cdpHost: string): Promise<PageTarget[]> {
  const response = await fetch(`http://${cdpHost}/json/list`);
  const targets = (await response.json()) as (PageTarget & { type: string })[];
  return targets.filter((t) => t.type === "page");
}

/** Opens a blank tab at `cdpHost` and returns its target id. */
export async function openBlankTab(cdpHost: string): Promise<string> {
  const response = await fetch(`http://${cdpHost}/json/new?about:blank`, { method: "PUT" });
  if (!response.ok) throw new Error(`could not open a tab: HTTP ${response.status}`);
  return ((await response.json()) as PageTarget).id;
}

/** The session's content tab, by the rule the replay leaves it: the first that is not blank. */
export function contentTab(tabs: PageTarget[]): PageTarget {
  const tab = tabs.find((t) => t.url !== "about:blank") ?? tabs[0];
  if (!tab) throw new Error("the session's browser has no tab");
  return tab;
}
