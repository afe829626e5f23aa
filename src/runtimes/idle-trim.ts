// Right after its start, a host thread's heap holds garbage and the bytecode of code that only the
// start ran (module initialisation; Playwright's is most of it). A memory-reducing collection
// drops both, but it pauses the thread (80-250 ms here) and the next call compiles again what it
// needs (8-38 ms once). A host idles most of its life, in the warm pool and between calls, so each
// of its threads does this once: the first time its event loop has been idle for a second while
// the machine had a core to spare. Hosts that finish early in a burst of session starts would
// otherwise collect on the cores the others are starting on (measured: the first burst of twenty
// 2.64-2.74x raw Playwright without collections, 2.93-3.00x with them before they waited).
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";

const CHECK_MS = 250;
/** Consecutive idle checks before the collection: a second. */
const IDLE_CHECKS = 4;
/** The share of a check's time the loop may spend running and still count as idle. */
const IDLE_UTILIZATION = 0.02;
/** The share of the machine's CPU time that must have been idle: a core of two. */
const MACHINE_IDLE_SHARE = 0.5;
/** On a machine that stays busy, the thread collects anyway once it has been idle this long. */
const MAX_WAIT_MS = 30_000;

/** CPU time the machine has spent since boot: idle, and in all. Any unit, as long as it is one. */
export interface MachineCpu {
  idle: number;
  total: number;
}

export interface TrimOptions {
  onTrimmed?: (ms: number) => void;
  /** Reads the machine's CPU time; /proc/stat by default. Undefined: no reading, never busy. */
  machineCpu?: () => MachineCpu | undefined;
  /** How long the thread waits, idle, for the machine to be idle too. */
  maxWaitMs?: number;
}

type Gc = (options: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;

/**
 * Collects all garbage once, when this thread's event loop has first been idle for a second and
 * the machine with it (or after `maxWaitMs` of the thread's own idleness on a busy machine).
 */
export function trimHeapOnceIdle(options: TrimOptions = {}): void {
  const machineCpu = options.machineCpu ?? procStatCpu;
  const maxIdleChecks = Math.ceil((options.maxWaitMs ?? MAX_WAIT_MS) / CHECK_MS);
  let last = performance.eventLoopUtilization();
  let lastCpu = machineCpu();
  let bothIdle = 0;
  let threadIdle = 0;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    const cpu = machineCpu();
    const machineIdle = idleShare(lastCpu, cpu) >= MACHINE_IDLE_SHARE;
    lastCpu = cpu;
    threadIdle = utilization < IDLE_UTILIZATION ? threadIdle + 1 : 0;
    bothIdle = threadIdle > 0 && machineIdle ? bothIdle + 1 : 0;
    if (bothIdle < IDLE_CHECKS && threadIdle < maxIdleChecks) return;
    const gc = exposedGc();
    if (!gc) return; // Another thread's lookup raced this one: the next check tries again.
    clearInterval(timer);
    const started = performance.now();
    gc({ type: "major", execution: "sync", flavor: "last-resort" });
    options.onTrimmed?.(performance.now() - started);
  }, CHECK_MS);
  timer.unref();
}

/** The idle share of the machine's CPU time between two readings; 1 when either is missing. */
function idleShare(before: MachineCpu | undefined, after: MachineCpu | undefined): number {
  if (!before || !after) return 1;
  const total = after.total - before.total;
  return total > 0 ? (after.idle - before.idle) / total : 1;
}

/**
 * The first line of /proc/stat, in clock ticks: `cpu user nice system idle iowait irq softirq
 * steal …` (guest time is already counted in user). A sandbox mounts its own /proc, and this line
 * is the whole machine's there too. Undefined where there is no /proc (not Linux).
 */
export function procStatCpu(): MachineCpu | undefined {
  let line: string;
  try {
    line = readFileSync("/proc/stat", "latin1").slice(0, 256).split("\n", 1)[0] ?? "";
  } catch {
    return undefined;
  }
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (ticks.length < 8 || ticks.some((t) => !Number.isFinite(t))) return undefined;
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { idle, total: ticks.reduce((a, b) => a + b, 0) };
}

/**
 * `--expose-gc` on the command line would change V8's flag hash, and every host would then miss
 * the shared compile cache (+30 MB each, measured). Set and cleared around one lookup, the hash
 * is what it was. V8's flags belong to the process, not the thread: when the host's two threads
 * look up at once, one's clear can come between the other's set and lookup, and that lookup finds
 * no `gc`. Undefined then; it threw, and a ReferenceError in the host's main thread kills the
 * host and ends its session as crashed (3000 lookups in each of two threads miss 4-10 times).
 */
export function exposedGc(): Gc | undefined {
  v8.setFlagsFromString("--expose-gc");
  try {
    const gc: unknown = vm.runInNewContext("globalThis.gc");
    return typeof gc === "function" ? (gc as Gc) : undefined;
  } finally {
    v8.setFlagsFromString("--no-expose-gc");
  }
}
