// Right after its start, a host thread's heap holds garbage and the bytecode of code that only the
// start ran (module initialisation; Playwright's is most of it). A memory-reducing collection
// drops both, but it pauses the thread (80-250 ms here) and the next call compiles again what it
// needs (8-38 ms once). A host idles most of its life, in the warm pool and between calls, so each
// of its threads does this once: the first time its event loop has been idle for a second.
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";

const CHECK_MS = 250;
/** Consecutive idle checks before the collection: a second. */
const IDLE_CHECKS = 4;
/** The share of a check's time the loop may spend running and still count as idle. */
const IDLE_UTILIZATION = 0.02;

type Gc = (options: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;

/** Collects all garbage once, when this thread's event loop has first been idle for a second. */
export function trimHeapOnceIdle(onTrimmed?: (ms: number) => void): void {
  let last = performance.eventLoopUtilization();
  let idleChecks = 0;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    idleChecks = utilization < IDLE_UTILIZATION ? idleChecks + 1 : 0;
    if (idleChecks < IDLE_CHECKS) return;
    clearInterval(timer);
    const started = performance.now();
    exposedGc()({ type: "major", execution: "sync", flavor: "last-resort" });
    onTrimmed?.(performance.now() - started);
  }, CHECK_MS);
  timer.unref();
}

/**
 * `--expose-gc` on the command line would change V8's flag hash, and every host would then miss
 * the shared compile cache (+30 MB each, measured). Set and cleared around one lookup, the hash
 * is what it was.
 */
function exposedGc(): Gc {
  v8.setFlagsFromString("--expose-gc");
  try {
    return vm.runInNewContext("gc") as Gc;
  } finally {
    v8.setFlagsFromString("--no-expose-gc");
  }
}
