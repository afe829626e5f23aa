import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readlinkSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Writable } from "node:stream";
import { ConfigError } from "../config.ts";
import type { Logger } from "../log.ts";
import { parseHostLogLine } from "./host-log.ts";
import type { FileReplacement } from "./sandbox-bundles.ts";
import { killProcessGroup } from "../runtimes/process-group.ts";

export type SandboxMode = "bwrap" | "none";

export interface SandboxOptions {
  command: string;
  args: readonly string[];
  mode: SandboxMode;
  /** Host paths made visible read-only at the same path inside (the host script, a CLI). */
  bindReadOnly?: readonly string[];
  /**
   * The session's own host directory (see `sessionDirs`), owned by the sandbox from now on:
   * its `tmp/` is the process's /tmp, its `run/` holds the channel socket, and the whole
   * directory is removed when the process exits.
   */
  workDir: string;
  /** Variables added to the clean environment, e.g. what a runtime needs; never the server's own. */
  env?: Readonly<Record<string, string>>;
  /** The sandbox has no network of its own; the egress proxy is reached through a socket in `run/`. */
  shareNetwork?: boolean;
  /** A Node compile cache (see compile-cache.ts), given read-only at SANDBOX_COMPILE_CACHE. */
  compileCache?: string | undefined;
  /** Host files seen inside with another file's content (mode "bwrap" only: see compile-cache.ts). */
  replaceReadOnly?: readonly FileReplacement[] | undefined;
  logger: Logger;
}

export interface SandboxExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Where a session directory's parts live inside the sandbox; in mode "none", on the host. */
export const SANDBOX_TMP = "/tmp";
export const SANDBOX_RUN = "/run/skiff";
/** Not at its host path, which would tell the sandbox where DATA_DIR is. */
export const SANDBOX_COMPILE_CACHE = "/run/skiff-compile-cache";

/** The parts of a session directory on the host: `tmp` (the process's /tmp) and `run` (sockets). */
export function sessionDirs(workDir: string): { tmp: string; run: string } {
  return { tmp: path.join(workDir, "tmp"), run: path.join(workDir, "run") };
}

/** The directory the process sees as `run/` (for the channel socket path it is given). */
export function runDirInside(mode: SandboxMode, workDir: string): string {
  return mode === "bwrap" ? SANDBOX_RUN : sessionDirs(workDir).run;
}

/** A fresh, private (0700) session directory with empty `tmp/` and `run/`. */
export async function createSessionDir(parent: string = os.tmpdir()): Promise<string> {
  const dir = await mkdtemp(path.join(parent, "skiff-session-"));
  const { tmp, run } = sessionDirs(dir);
  mkdirSync(tmp, { mode: 0o700 });
  mkdirSync(run, { mode: 0o700 });
  return dir;
}

const BWRAP_CANDIDATES = ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"];
const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

/**
 * What Node and Chromium read from /etc, and nothing else: the dynamic linker's cache, user and
 * group names (getpwuid), name resolution, TLS roots, fonts, time zone, the Debian alternatives
 * that /usr/bin links through, and Chromium's policy directories. Not shadow files, machine-id,
 * hostname, or tool configs (npmrc, gitconfig, pip.conf) that can hold credentials.
 */
const ETC_ENTRIES = [
  "ld.so.cache",
  "passwd",
  "group",
  "nsswitch.conf",
  "hosts",
  "host.conf",
  "resolv.conf",
  "gai.conf",
  "ssl",
  "ca-certificates",
  "fonts",
  "localtime",
  "alternatives",
  "mime.types",
  "chromium",
  "chromium.d",
];

/** The merged-/usr links (or directories, on older systems) a dynamic binary needs. */
const TOP_LEVEL_SYSTEM = ["/bin", "/sbin", "/lib", "/lib64", "/lib32"];

/** Starts `command` in its own sandbox; the caller owns the process and must stop it. */
export function launchSandboxed(options: SandboxOptions): SandboxProcess {
  const { tmp, run } = sessionDirs(options.workDir);
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  mkdirSync(run, { recursive: true, mode: 0o700 });
  return new SandboxProcess(spawnChild(options, tmp), options);
}

/** Detached, so `kill()` can take the whole process group (Chromium included in mode "none"). */
function spawnChild(options: SandboxOptions, tmp: string): ChildProcess {
  const stdio: ["ignore", "pipe", "pipe"] = ["ignore", "pipe", "pipe"];
  if (options.mode === "none") {
    const env = cleanEnv(options, tmp, options.compileCache);
    return spawn(options.command, options.args, { env, cwd: tmp, stdio, detached: true });
  }
  // The sandbox's layout goes through a pipe (`--args 3`), not argv: bwrap's command line is
  // readable inside as /proc/1/cmdline, and the layout names host paths (DATA_DIR's among them).
  const args = ["--args", "3", "--", options.command, ...options.args];
  // bwrap itself needs no environment, and `--clearenv` guards the command's anyway.
  const child = spawn(bwrapPath(), args, {
    env: {},
    stdio: [...stdio, "pipe"],
    detached: true,
  });
  const layout = child.stdio[3] as Writable | null;
  layout?.end(bwrapArgs(options).join("\0") + "\0");
  return child;
}

/** What shapes the sandbox, as opposed to what runs in it. */
export type SandboxLayout = Pick<
  SandboxOptions,
  "workDir" | "bindReadOnly" | "env" | "shareNetwork" | "compileCache" | "replaceReadOnly"
>;

/** The full bubblewrap argument list, without the command. */
export function bwrapArgs(options: SandboxLayout): string[] {
  const { tmp, run } = sessionDirs(options.workDir);
  return [
    ...systemMounts(),
    // The private /tmp goes first: mounts apply in order, and a project checked out under /tmp
    // must stay visible on top of it (its mount points land in the session's own folder).
    ...["--bind", tmp, SANDBOX_TMP, "--ro-bind", run, SANDBOX_RUN],
    ...runtimeMounts(options.bindReadOnly ?? []),
    ...(options.replaceReadOnly ?? []).flatMap((r) => ["--ro-bind", r.with, r.path]),
    ...(options.compileCache ? ["--ro-bind", options.compileCache, SANDBOX_COMPILE_CACHE] : []),
    ...["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/dev/shm"],
    ...["--unshare-user", "--disable-userns", "--unshare-pid", "--unshare-ipc", "--unshare-uts"],
    ...(options.shareNetwork ? [] : ["--unshare-net"]),
    ...["--hostname", "sandbox", "--cap-drop", "ALL", "--die-with-parent", "--new-session"],
    "--clearenv",
    ...Object.entries(cleanEnv(options, SANDBOX_TMP, SANDBOX_COMPILE_CACHE)).flatMap(([k, v]) => [
      "--setenv",
      k,
      v,
    ]),
    ...["--chdir", SANDBOX_TMP],
  ];
}

function systemMounts(): string[] {
  const args = ["--ro-bind", "/usr", "/usr"];
  for (const dir of TOP_LEVEL_SYSTEM) {
    const stat = lstatSync(dir, { throwIfNoEntry: false });
    if (stat?.isSymbolicLink()) args.push("--symlink", readlinkSync(dir), dir);
    else if (stat?.isDirectory()) args.push("--ro-bind", dir, dir);
  }
  for (const entry of ETC_ENTRIES) args.push("--ro-bind-try", `/etc/${entry}`, `/etc/${entry}`);
  return args;
}

/** Node itself and the project's code, at their host paths, so the session host runs unchanged. */
function runtimeMounts(extra: readonly string[]): string[] {
  const project = ["src", "node_modules", "package.json"].map((p) => path.join(PROJECT_ROOT, p));
  const paths = [process.execPath, ...project, ...extra].filter((p) => !p.startsWith("/usr/"));
  return paths.flatMap((p) => ["--ro-bind", p, p]);
}

/** `compileCache` is where the process sees the cache, when there is one. */
function cleanEnv(
  options: SandboxLayout,
  tmp: string,
  compileCache: string | undefined,
): Record<string, string> {
  return {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: tmp,
    TMPDIR: tmp,
    LANG: "C.UTF-8",
    ...(options.compileCache && compileCache ? { NODE_COMPILE_CACHE: compileCache } : {}),
    ...options.env,
  };
}

function bwrapPath(): string {
  const found = BWRAP_CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error(`bubblewrap not found (looked in ${BWRAP_CANDIDATES.join(", ")})`);
  return found;
}

const TRIAL_TIMEOUT_MS = 10_000;

/**
 * The mode sessions run in. "auto" tries bubblewrap with the very arguments sessions use and
 * falls back to "none"; "bwrap" insists and throws ConfigError naming bubblewrap's complaint.
 */
export async function detectSandboxMode(
  setting: "auto" | "bwrap" | "none",
  logger?: Logger,
): Promise<SandboxMode> {
  if (setting === "none") return "none";
  const problem = await trialProblem();
  if (!problem) return "bwrap";
  if (setting === "bwrap") {
    throw new ConfigError(`SANDBOX=bwrap: bubblewrap does not work here: ${problem}`);
  }
  logger?.warn({ problem }, "bubblewrap does not work here; sessions will NOT be isolated");
  return "none";
}

/** Why a trial `bwrap … true` failed, or undefined when it ran. */
async function trialProblem(): Promise<string | undefined> {
  const workDir = await createSessionDir();
  try {
    const args = [...bwrapArgs({ workDir }), "--", "true"];
    const result = spawnSync(bwrapPath(), args, { env: {}, timeout: TRIAL_TIMEOUT_MS });
    if (result.error) return result.error.message;
    if (result.status === 0) return undefined;
    return result.stderr.toString().trim() || `exit status ${result.status}`;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * One running sandbox. `exited` settles after the process is gone and its session directory
 * removed. `kill()` takes the whole process group (bubblewrap's pid namespace dies with it).
 */
export class SandboxProcess {
  readonly mode: SandboxMode;
  readonly workDir: string;
  readonly exited: Promise<SandboxExit>;
  #child: ChildProcess;
  #logger: Logger;

  constructor(child: ChildProcess, options: SandboxOptions) {
    this.mode = options.mode;
    this.workDir = options.workDir;
    this.#child = child;
    this.#logger = options.logger.child({ sandboxPid: child.pid, mode: options.mode });
    this.#pipeOutput();
    this.exited = this.#waitForExit();
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#killGroup(signal);
  }

  #killGroup(signal: NodeJS.Signals): void {
    if (!killProcessGroup(this.#child.pid, signal)) this.#child.kill(signal);
  }

  async #waitForExit(): Promise<SandboxExit> {
    const exit = await new Promise<SandboxExit>((resolve) => {
      this.#child.once("error", (err) => {
        this.#logger.error({ err }, "sandbox failed to start");
        resolve({ code: null, signal: null });
      });
      this.#child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    // A crashed host can leave grandchildren (Chromium) in mode "none"; they share its group.
    this.#killGroup("SIGKILL");
    await rm(this.workDir, { recursive: true, force: true, maxRetries: 3 });
    this.#logger.debug({ ...exit }, "sandbox exited");
    return exit;
  }

  /**
   * The host's output goes to the log a line at a time, for crash diagnosis: a line the host logged
   * (host-log.ts) at the host's own level, any other line from stdout at debug and from stderr (a
   * crash's trace) at warn. Code in the session can write there too, so the host's fields stay
   * under `host` and never stand in for the server's own (sandboxPid, a session's id).
   */
  #pipeOutput(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      const output = this.#child[stream];
      if (!output) continue;
      const lines = createInterface({ input: output, crlfDelay: Infinity });
      lines.on("line", (line) => {
        const logged = stream === "stdout" ? parseHostLogLine(line) : undefined;
        if (logged) this.#logger[logged.level]({ stream, host: logged.fields }, logged.msg);
        else this.#logger[stream === "stdout" ? "debug" : "warn"]({ stream }, line);
      });
    }
  }
}
