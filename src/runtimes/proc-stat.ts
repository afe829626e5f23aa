// A process's line in /proc/<pid>/stat. Linux only.
import { readFileSync } from "node:fs";

/**
 * The fields after the command name, which is in parentheses and may hold spaces and parentheses
 * itself: the state first (`fields[0]`), then the parent's pid, … (see proc(5), which numbers them
 * from the pid: its field n is `fields[n - 3]`). Undefined once the process is gone.
 */
export function statFields(pid: number | string): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** Whether `pid` is a process that has not exited: not gone, not a zombie waiting to be reaped. */
export function isRunning(pid: number | string): boolean {
  const state = statFields(pid)?.[0];
  return state !== undefined && !/^[ZX]/.test(state);
}
