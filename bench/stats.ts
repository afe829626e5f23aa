/** Percentile of a sample, nearest-rank. */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(performance.now() - t0);
  }
  return out;
}

export const fmt = (n: number, digits = 1): string => n.toFixed(digits);

/** Runs `fn` n times, keeping the number each run reports (for runs that time only part of themselves). */
export async function collect(n: number, fn: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}

export interface Latency {
  p50: number;
  p95: number;
}

export const latency = (samples: number[]): Latency => ({
  p50: percentile(samples, 50),
  p95: percentile(samples, 95),
});

/**
 * Times each of `fns` `n` times, one of each per round, so that every figure sees the machine in
 * the same state: on a shared machine, measuring one after the other compares different minutes.
 */
export async function timeInterleaved<K extends string>(
  n: number,
  fns: Record<K, () => Promise<unknown>>,
): Promise<Record<K, number[]>> {
  const names = Object.keys(fns) as K[];
  const out = noSamples(names);
  for (let i = 0; i < n; i++) {
    for (const name of names) {
      const t0 = performance.now();
      await fns[name]();
      out[name].push(performance.now() - t0);
    }
  }
  return out;
}

/**
 * Runs each of `fns` `n` times in blocks of `block` in a row, one side after the other, keeping
 * the number each run reports; each block starts with one run that is not kept. For figures that
 * depend on what came just before (back to back, paced), which one of each per round would
 * change, while blocks still give both sides the same minutes of a shared machine.
 */
export async function collectInBlocks<K extends string>(
  n: number,
  block: number,
  fns: Record<K, () => Promise<number>>,
): Promise<Record<K, number[]>> {
  const names = Object.keys(fns) as K[];
  const out = noSamples(names);
  while (out[names[0]!].length < n) {
    for (const name of names) {
      await fns[name]();
      const size = Math.min(block, n - out[name].length);
      out[name].push(...(await collect(size, fns[name])));
    }
  }
  return out;
}

/** An empty list of samples for each name. */
function noSamples<K extends string>(names: K[]): Record<K, number[]> {
  return Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
}
