import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { interactClient } from "./helpers/interact-client.ts";
import { useSkiffAndSite } from "./helpers/skiff-harness.ts";
import {
  startScriptedLlm,
  type ReceivedRequest,
  type ScriptedLlm,
} from "./fixtures/scripted-llm.ts";

const API_KEY = "sk-test-never-in-a-sandbox-5d0c1f";

/** A tool call of the scripted model: one `browser` command. */
const browser = (command: string) => ({
  toolCalls: [{ name: "browser", arguments: JSON.stringify({ command }) }],
});

/** The text of the last message the model was sent (a tool result after a tool call). */
function lastContent(request: ReceivedRequest): string {
  const content = request.messages.at(-1)?.content;
  return typeof content === "string" ? content : JSON.stringify(content);
}

/** The ref agent-browser gave the element named `name` in a snapshot the model was sent. */
function refOf(request: ReceivedRequest, role: string, name: string): string {
  const text = request.messages.map((m) => JSON.stringify(m.content)).join("\n");
  const match = new RegExp(`${role} \\\\"${name}\\\\" \\[ref=(e\\d+)\\]`).exec(text);
  assert.ok(match?.[1], `a ${role} "${name}" in the snapshot the model saw`);
  return match[1];
}

/** The tool results the model was sent, in order (what the commands gave back). */
function toolResults(llm: ScriptedLlm): string[] {
  const last = llm.requests.at(-1);
  return (last?.messages ?? [])
    .filter((m) => m.role === "tool")
    .map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content)));
}

describe("interact with a prompt (a scripted model on loopback)", () => {
  let llm: ScriptedLlm;
  // The model's address is known once it listens; this hook runs before Skiff's starts.
  const env: Record<string, string> = {};
  before(async () => {
    llm = await startScriptedLlm();
    Object.assign(env, {
      OPENAI_BASE_URL: llm.baseUrl,
      OPENAI_API_KEY: API_KEY,
      MODEL_NAME: "scripted-model",
    });
  });
  after(() => llm.close());
  const t = useSkiffAndSite(env);
  const { sdk, scrape } = interactClient(t);
  const prompt = (id: string, task: string, timeout?: number) =>
    sdk().interact(id, { prompt: task, ...(timeout ? { timeout } : {}) });

  it("fills a filter, presses Enter, reads the rows and answers in JSON", async () => {
    llm.use((request, i) => {
      if (i === 0) return browser(`fill @${refOf(request, "searchbox", "Filter")} "kayak"`);
      if (i === 1) return browser("press Enter");
      if (i === 2) return browser('get text "#rows"');
      const rows = lastContent(request);
      const names = ["Red kayak", "Blue kayak"].filter((n) => rows.includes(n));
      return { text: JSON.stringify({ products: names }) };
    });
    const id = await scrape("/catalog");
    const reply = await prompt(id, "Filter the catalog for kayaks and list them as JSON.");
    assert.equal(reply.success, true, reply.stderr);
    assert.deepEqual(JSON.parse(reply.output ?? ""), { products: ["Red kayak", "Blue kayak"] });
    assert.equal(reply.exitCode, 0);
    const first = llm.requests[0];
    assert.ok(first);
    assert.deepEqual(
      first.tools.map((tool) => tool.function.name),
      ["browser"],
      "the model has exactly one tool",
    );
    const opening = lastContent(first);
    assert.match(opening, /Filter the catalog for kayaks/);
    assert.match(opening, new RegExp(`${t.site.url}/catalog`));
    assert.match(
      opening,
      /BEGIN PAGE SNAPSHOT (\w+)\n[\s\S]*searchbox "Filter"[\s\S]*\nEND PAGE SNAPSHOT \1$/,
    );
    assert.ok(
      llm.requests.every((r) => r.stream),
      "the agent streams its model calls",
    );
    const results = toolResults(llm);
    assert.equal(results.length, 3);
    assert.match(results[2] ?? "", /Red kayak\s+499[\s\S]*Blue kayak\s+549/);
    assert.doesNotMatch(results[2] ?? "", /paddle/, "the filter was applied");
    assert.match(reply.stdout ?? "", /Red kayak/);
    assert.match(reply.result ?? "", /searchbox "Filter"/, "result is the last snapshot");
  });

  it("answers success:false with the model's error in stderr", async () => {
    llm.use(() => ({ status: 500, error: "the model is overloaded" }));
    const id = await scrape("/catalog");
    const reply = await prompt(id, "Anything.");
    assert.equal(reply.success, false);
    assert.equal(reply.exitCode, 1);
    assert.match(reply.stderr ?? "", /The model failed to answer: its provider answered HTTP 500/);
    // The provider's own text can hold account details (OpenAI's echoes part of a bad key).
    assert.doesNotMatch(reply.stderr ?? "", /overloaded|127\.0\.0\.1/);
  });

  it("bounds each step by the request's timeout; the session lives on", async () => {
    llm.use(() => ({ text: "too late", delayMs: 4000 }));
    const id = await scrape("/catalog");
    const reply = await prompt(id, "Answer slowly.", 1);
    assert.equal(reply.success, false);
    assert.equal(reply.killed, true);
    assert.match(reply.stderr ?? "", /ran out of time/);
    const next = await sdk().interact(id, { code: "await page.title()" });
    assert.equal(next.result, "Catalog");
  });

  it("sends malformed tool arguments back to the model as an error, and goes on", async () => {
    llm.use((request, i) => {
      if (i === 0) return { toolCalls: [{ name: "browser", arguments: '{"command": ' }] };
      return { text: `saw: ${lastContent(request)}` };
    });
    const id = await scrape("/catalog");
    const reply = await prompt(id, "Read the page.");
    assert.equal(reply.success, true, reply.stderr);
    assert.match(reply.output ?? "", /saw: .*(Invalid input|JSON)/i);
    assert.equal(llm.requests.length, 2);
  });

  it("stops after 25 steps with success:false", async () => {
    llm.use(() => browser("get title"));
    const id = await scrape("/catalog");
    const reply = await prompt(id, "Never finish.");
    assert.equal(reply.success, false);
    assert.match(reply.stderr ?? "", /did not finish the task within 25 steps/);
    assert.equal(llm.requests.length, 25);
    assert.match(reply.stdout ?? "", /Catalog/);
  });

  it("refuses pipes, new tabs and other sites, and the browser keeps its one tab", async () => {
    const attempts = [
      "snapshot -i | head -n 3",
      "tab new",
      "open https://other.example/",
      "eval 1",
    ];
    llm.use((_request, i) => (i < attempts.length ? browser(attempts[i] ?? "") : { text: "done" }));
    const id = await scrape("/catalog");
    const reply = await prompt(id, "Try things.");
    assert.equal(reply.success, true, reply.stderr);
    const results = toolResults(llm);
    assert.equal(results.length, 4);
    assert.match(results[0] ?? "", /Refused: Only one agent-browser command.*'\|'/);
    assert.match(results[1] ?? "", /Refused: 'tab new' is not available/);
    assert.match(results[2] ?? "", /Refused: 'open' stays on http:\/\/127\.0\.0\.1/);
    assert.match(results[3] ?? "", /Refused: 'eval' is not available/);
    const tabs = await sdk().interact(id, { code: "context.pages().length" });
    assert.equal(tabs.result, "1");
    const url = await sdk().interact(id, { code: "page.url()" });
    assert.equal(url.result, `${t.site.url}/catalog`);
  });

  it("mixes code and prompt calls on one session, billed at the prompt rate", async () => {
    llm.use((request, i) => {
      if (i === 0) return browser('get text "#status"');
      return { text: lastContent(request) };
    });
    const id = await scrape("/catalog");
    const code = await sdk().interact(id, {
      code: "await page.fill('#filter', 'paddle'); await page.press('#filter', 'Enter'); 'ok'",
    });
    assert.equal(code.success, true, code.stderr);
    const reply = await prompt(id, "What does the status line say?");
    assert.match(reply.output ?? "", /Showing 1 products matching "paddle"/);
    const next = await sdk().interact(id, { code: "await page.textContent('#rows')" });
    assert.match(next.result ?? "", /Red paddle/);
    const env = await sdk().interact(id, { code: "JSON.stringify(process.env)" });
    assert.doesNotMatch(env.result ?? "", new RegExp(API_KEY), "no key in the sandbox");
    const stop = await sdk().stopInteraction(id);
    assert.equal(stop.creditsBilled, 7, "one minute at 420 credits an hour");
  });
});
