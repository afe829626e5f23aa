// What a node process started, found in /proc: its descendants while it lives, and afterwards
// which of them outlived it. A process is known by pid and start time, so a reused pid is not
// mistaken for a survivor. Linux only, as the sandbox is.
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessInfo {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22). */
  startTime: number;
  /** The executable's name, as the kernel keeps it (15 characters at most). */
  name: string;
}

interface StatLine extends ProcessInfo {
  state: string;
  ppid: number;
}

function readStat(pid: number): StatLine | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The name is in parentheses and may hold spaces or parentheses itself: split after the last.
  const close = text.lastIndexOf(")");
  const name = text.slice(text.indexOf("(") + 1, close);
  const fields = text.slice(close + 2).split(" ");
  return {
    pid,
    name,
    state: fields[0] ?? "?",
    ppid: Number(fields[1]),
    startTime: Number(fields[19]),
  };
}

function allPids(): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

/** Every live process below `rootPid` (not the root itself). */
export function descendantsOf(rootPid: number): ProcessInfo[] {
  const children = new Map<number, StatLine[]>();
  for (const pid of allPids()) {
    const stat = readStat(pid);
    if (!stat) continue;
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  }
  const found: ProcessInfo[] = [];
  const queue = [rootPid];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      found.push({ pid: child.pid, startTime: child.startTime, name: child.name });
      queue.push(child.pid);
    }
  }
  return found;
}

/** Live processes whose environment holds `marker` (`NAME=value`); unreadable ones are skipped. */
export function processesWithEnv(marker: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const pid of allPids()) {
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, "latin1");
    } catch {
      continue;
    }
    if (!environ.split("\0").includes(marker)) continue;
    const stat = readStat(pid);
    if (stat && stat.state !== "Z") found.push(stat);
  }
  return found;
}

/** Whether the very process (same pid, same start) still runs; a zombie has ended. */
export function isAlive(info: ProcessInfo): boolean {
  const stat = readStat(info.pid);
  return stat !== undefined && stat.startTime === info.startTime && stat.state !== "Z";
}

/** Processes seen once, by pid and start; the ones still running on demand. */
export class ProcessLedger {
  readonly #seen = new Map<string, ProcessInfo>();

  record(processes: Iterable<ProcessInfo>): void {
    for (const p of processes) this.#seen.set(`${p.pid}:${p.startTime}`, p);
  }

  alive(): ProcessInfo[] {
    return [...this.#seen.values()].filter(isAlive);
  }
}
