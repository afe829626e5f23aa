// Python interact calls (Playwright for Python in the session's sandbox) against node calls on the
// same sessions, in the same run: a call's latency, the first python call, and the memory it adds.
import { aloneWithSite } from "./alone.ts";
import type { TestSite } from "../test/fixtures/site/test-site.ts";
import { startSkiff, type RunningSkiff } from "../test/helpers/skiff-harness.ts";
import { post, scrape, stop } from "./interact-bench.ts";
import {
  hostPids,
  settledSessionMemory,
  waitForWarmPool,
  type SessionMemory,
} from "./session-processes.ts";
import { fmt, latency, type Latency } from "./stats.ts";

export interface PythonBench {
  /** `await page.title()` in python and in node, alternating on one live session. */
  calls: { samples: number; node: Latency; python: Latency; ratioP50: number };
  /** A session's first python call (the interpreter's start) against a node call just before it. */
  firstCall: { samples: number; node: Latency; python: Latency; diffP50: number };
  /** Two idle sessions: node calls only, and the same plus one python call. */
  memory: { nodeOnly: SessionMemory; withPython: SessionMemory; diffMB: number };
}

const CALL_SAMPLES = 50;
const FIRST_CALL_SAMPLES = 5;
const WARMUP = 5;
const CODE = "await page.title()";

type Language = "node" | "python";

/** One call on a session, checked; its time in ms. */
async function timedCall(base: string, id: string, language: Language): Promise<number> {
  const t0 = performance.now();
  const reply = await post<{ success: boolean; result?: string; error?: string }>(
    `${base}/v2/scrape/${id}/interact`,
    { code: CODE, language },
  );
  const ms = performance.now() - t0;
  if (!reply.success || !reply.result) {
    throw new Error(`${language} call failed: ${JSON.stringify(reply)}`);
  }
  return ms;
}

/** A new session on the warm host, opened by a node call; its scrape id and host pid. */
async function openSession(server: RunningSkiff, site: TestSite, liveHosts: number[] = []) {
  await waitForWarmPool(server, liveHosts.length);
  const warm = new Set(
    [...hostPids(server)].filter(([, pid]) => !liveHosts.includes(pid)).map(([dir]) => dir),
  );
  const id = await scrape(server.url, `${site.url}/article`);
  await timedCall(server.url, id, "node");
  const host = [...hostPids(server)].find(([dir]) => warm.has(dir));
  if (!host) throw new Error("could not find the session's host");
  return { id, hostPid: host[1] };
}

async function benchFirstCalls(server: RunningSkiff, site: TestSite) {
  const node: number[] = [];
  const python: number[] = [];
  for (let i = 0; i < FIRST_CALL_SAMPLES; i++) {
    const { id } = await openSession(server, site);
    node.push(await timedCall(server.url, id, "node"));
    python.push(await timedCall(server.url, id, "python"));
    await stop(server.url, id);
  }
  const diffs = python.map((ms, i) => ms - (node[i] ?? 0));
  return {
    samples: FIRST_CALL_SAMPLES,
    node: latency(node),
    python: latency(python),
    diffP50: latency(diffs).p50,
  };
}

async function benchCallsAndMemory(server: RunningSkiff, site: TestSite) {
  const nodeOnly = await openSession(server, site);
  const withPython = await openSession(server, site, [nodeOnly.hostPid]);
  try {
    for (let i = 0; i < WARMUP; i++) {
      await timedCall(server.url, withPython.id, "node");
      await timedCall(server.url, withPython.id, "python");
    }
    const node: number[] = [];
    const python: number[] = [];
    for (let i = 0; i < CALL_SAMPLES; i++) {
      node.push(await timedCall(server.url, withPython.id, "node"));
      python.push(await timedCall(server.url, withPython.id, "python"));
    }
    await waitForWarmPool(server, 2); // the pool's refill is over: both sessions are idle
    // Each read once its host has collected its garbage, as in the interact benchmark.
    const memory = {
      nodeOnly: await settledSessionMemory(nodeOnly.hostPid),
      withPython: await settledSessionMemory(withPython.hostPid),
    };
    const calls = { node: latency(node), python: latency(python) };
    return {
      calls: { samples: CALL_SAMPLES, ...calls, ratioP50: calls.python.p50 / calls.node.p50 },
      memory: { ...memory, diffMB: memory.withPython.totalMB - memory.nodeOnly.totalMB },
    };
  } finally {
    await stop(server.url, nodeOnly.id);
    await stop(server.url, withPython.id);
  }
}

export async function benchPython(site: TestSite): Promise<PythonBench> {
  const server = await startSkiff({ SANDBOX: "auto", SESSION_WARM_POOL: "1" });
  try {
    const firstCall = await benchFirstCalls(server, site);
    return { firstCall, ...(await benchCallsAndMemory(server, site)) };
  } finally {
    await server.close();
  }
}

/** The python section of `./skiff bench`. */
export function printPython(b: PythonBench): void {
  const verdict = (ok: boolean) => (ok ? "pass" : "MISS");
  const row = (name: string, l: Latency) =>
    console.log(
      `  ${name.padEnd(34)} p50 ${fmt(l.p50).padStart(6)} ms   p95 ${fmt(l.p95).padStart(6)} ms`,
    );
  console.log(
    `python (Playwright for Python), \`${CODE}\` on one session, ${b.calls.samples} each`,
  );
  row("python call", b.calls.python);
  row("node call", b.calls.node);
  const ratio = b.calls.ratioP50;
  console.log(
    `  ratio p50 python/node              ${fmt(ratio, 2)}   [<= 2] ${verdict(ratio <= 2)}`,
  );
  console.log(`  first python call of a session, ${b.firstCall.samples} sessions`);
  row("first python call", b.firstCall.python);
  row("node call just before", b.firstCall.node);
  const diff = b.firstCall.diffP50;
  console.log(
    `  difference p50                     ${fmt(diff)} ms   [<= 1000 ms] ${verdict(diff <= 1000)}`,
  );
  console.log("  idle session memory (PSS)");
  console.log(`  node calls only                    ${fmt(b.memory.nodeOnly.totalMB)} MB`);
  console.log(`  node calls and one python call     ${fmt(b.memory.withPython.totalMB)} MB`);
  for (const p of b.memory.withPython.byName.filter((entry) => entry.name.startsWith("python"))) {
    console.log(`    of which ${p.name} x${p.count}`.padEnd(37) + `${fmt(p.mb)} MB`);
  }
  const mb = b.memory.diffMB;
  console.log(
    `  difference                         ${fmt(mb)} MB   [<= 60 MB] ${verdict(mb <= 60)}\n`,
  );
}

if (import.meta.main) await aloneWithSite(async (site) => printPython(await benchPython(site)));
