// Prompt mode: the agent's own time per step, with a scripted model on loopback that answers at
// once, against the same agent-browser commands run by a bash call on the same session.
import { aloneWithSite } from "./alone.ts";
import { startScriptedLlm, type ScriptedLlm } from "../test/fixtures/scripted-llm.ts";
import type { TestSite } from "../test/fixtures/site/test-site.ts";
import { postJson, startSkiff } from "../test/helpers/skiff-harness.ts";
import { fmt, percentile, timeEach } from "./stats.ts";

export interface AgentBench {
  /** A snapshot step plus a command step, from one model request to the request after the next. */
  pair: { p50: number; p95: number };
  /** The same two commands in one bash interact call (client round trip included). */
  direct: { p50: number; p95: number };
  pairs: number;
}

const PROMPT_CALLS = 4;
/** Twelve pairs is 24 tool steps and a final answer: the 25-step limit exactly. */
const PAIRS_PER_CALL = 12;
const DIRECT_SAMPLES = 30;
const COMMAND = "press Tab";

interface Reply {
  success: boolean;
  stderr?: string;
}

/** The reply's body; benchmarks check `success` themselves. */
async function post<T>(url: string, body: unknown): Promise<T> {
  return (await postJson<T>(url, body)).body;
}

/** The model asks for a snapshot, then a command, twelve times, then answers. */
function pairsScript(llm: ScriptedLlm): void {
  llm.use((_request, i) => {
    if (i >= PAIRS_PER_CALL * 2) return { text: "done" };
    const command = i % 2 === 0 ? "snapshot -i" : COMMAND;
    return { toolCalls: [{ name: "browser", arguments: JSON.stringify({ command }) }] };
  });
}

/** Request i+2 arrives one snapshot step and one command step after request i. */
function pairTimes(llm: ScriptedLlm): number[] {
  const at = llm.requests.map((r) => r.receivedAt);
  const out: number[] = [];
  for (let i = 0; i + 2 < at.length; i += 2) out.push((at[i + 2] ?? 0) - (at[i] ?? 0));
  return out;
}

export async function benchAgent(site: TestSite): Promise<AgentBench> {
  const llm = await startScriptedLlm();
  const server = await startSkiff({
    SANDBOX: "auto",
    SESSION_WARM_POOL: "1",
    OPENAI_BASE_URL: llm.baseUrl,
    OPENAI_API_KEY: "bench",
    MODEL_NAME: "scripted",
  });
  try {
    const scrape = await post<{ data?: { metadata?: { scrapeId?: string } } }>(
      `${server.url}/v2/scrape`,
      { url: `${site.url}/catalog`, maxAge: 0 },
    );
    const id = String(scrape.data?.metadata?.scrapeId);
    const interact = (body: unknown) => post<Reply>(`${server.url}/v2/scrape/${id}/interact`, body);
    const direct = `agent-browser snapshot -i > /dev/null && agent-browser ${COMMAND}`;
    await interact({ code: direct, language: "bash" }); // session, agent-browser attached
    const pairs: number[] = [];
    for (let call = 0; call < PROMPT_CALLS; call++) {
      pairsScript(llm);
      const reply = await interact({ prompt: "Step through the page." });
      if (!reply.success) throw new Error(`prompt call failed: ${reply.stderr}`);
      pairs.push(...pairTimes(llm));
    }
    const directTimes = await timeEach(DIRECT_SAMPLES, async () => {
      const reply = await interact({ code: direct, language: "bash" });
      if (!reply.success) throw new Error(`bash call failed: ${reply.stderr}`);
    });
    return {
      pair: { p50: percentile(pairs, 50), p95: percentile(pairs, 95) },
      direct: { p50: percentile(directTimes, 50), p95: percentile(directTimes, 95) },
      pairs: pairs.length,
    };
  } finally {
    await server.close();
    await llm.close();
  }
}

export function printAgent(b: AgentBench): void {
  const row = (name: string, l: { p50: number; p95: number }, goal = "") =>
    console.log(
      `  ${name.padEnd(34)} p50 ${fmt(l.p50).padStart(6)} ms   p95 ${fmt(l.p95).padStart(6)} ms${goal}`,
    );
  console.log(`prompt mode, scripted model answering at once: snapshot -i, then ${COMMAND}`);
  row(`agent, the two steps (${b.pairs} pairs)`, b.pair, "   [p50 <= 150 ms]");
  row("same two commands in one bash call", b.direct);
  console.log(
    `  agent's own share p50              ${fmt(b.pair.p50 - b.direct.p50)} ms (ratio ${fmt(b.pair.p50 / b.direct.p50, 2)})\n`,
  );
}

if (import.meta.main) await aloneWithSite(async (site) => printAgent(await benchAgent(site)));
