// firecrawl-mcp (unchanged) over stdio against Skiff: firecrawl_search on the SearXNG fixture, keyless
// and with an API key (when it also asks for "alexandria"), and firecrawl_scrape with a question.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";
import { startTestSite, type TestSite } from "./fixtures/site/test-site.ts";
import { startFakeSearxng, webResults, type FakeSearxng } from "./fixtures/searxng.ts";
import { startScriptedLlm, type ScriptedLlm } from "./fixtures/scripted-llm.ts";

const ADMIN_KEY = "admin-key-for-the-mcp-search-test-0123456789";
const require = createRequire(import.meta.url);
const MCP_SERVER = path.join(
  path.dirname(require.resolve("firecrawl-mcp/package.json")),
  "dist",
  "index.js",
);

let searxng: FakeSearxng;
let site: TestSite;
let llm: ScriptedLlm;

before(async () => {
  [searxng, site, llm] = await Promise.all([
    startFakeSearxng(),
    startTestSite(),
    startScriptedLlm(() => ({ text: "The Blue Kettle costs 24.00." })),
  ]);
});
after(async () => {
  await Promise.all([searxng.close(), site.close(), llm.close()]);
});

/** A tool's structured answer (the MCP server returns its JSON as text content). */
function structured(result: Awaited<ReturnType<Client["callTool"]>>): Record<string, any> {
  if (result.structuredContent) return result.structuredContent as Record<string, any>;
  const text = (result.content as { type: string; text?: string }[]).find((c) => c.type === "text");
  return JSON.parse(text?.text ?? "{}") as Record<string, any>;
}

/** Sits between the MCP server and Skiff, keeping the bodies the MCP server posted to /v2/search. */
async function recordingProxy(target: string) {
  const searches: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.url === "/v2/search")
        searches.push(JSON.parse(body.toString()) as Record<string, unknown>);
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          ([k]) => !["host", "content-length", "connection"].includes(k),
        ),
      ) as Record<string, string>;
      const method = req.method ?? "GET";
      void fetch(`${target}${req.url}`, { method, headers, ...(body.length > 0 && { body }) })
        .then(async (reply) => {
          res.writeHead(reply.status, { "content-type": reply.headers.get("content-type") ?? "" });
          res.end(Buffer.from(await reply.arrayBuffer()));
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    searches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function connect(apiUrl: string, apiKey?: string): Promise<Client> {
  const client = new Client({ name: "skiff-test", version: "1.0.0" });
  const env: Record<string, string> = { FIRECRAWL_API_URL: apiUrl, PATH: process.env.PATH ?? "" };
  if (apiKey) env.FIRECRAWL_API_KEY = apiKey;
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [MCP_SERVER],
      env,
      stderr: "ignore",
    }),
  );
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args });
  assert.notEqual(result.isError, true, JSON.stringify(result.content));
  return structured(result);
}

/** Both runs: the MCP server's search reaches SearXNG, and its question gets the model's answer. */
function searchAndAsk(
  state: { client: Client; proxy: Awaited<ReturnType<typeof recordingProxy>> },
  sent: { sources: string[]; domainTools: boolean },
) {
  it("firecrawl_search returns the fixture's results", async () => {
    searxng.results = { general: webResults(3, (i) => `https://example.org/mcp-${i}`, "Kettle") };
    searxng.queries.length = 0;
    const found = await call(state.client, "firecrawl_search", { query: "blue kettle", limit: 3 });
    const web = (found.web ?? found.data?.web) as { url: string; title: string }[];
    assert.deepEqual(
      web.map((r) => [r.url, r.title]),
      [0, 1, 2].map((i) => [`https://example.org/mcp-${i}`, `Kettle ${i}`]),
    );
    assert.deepEqual(
      searxng.queries.map((q) => [q.q, q.categories]),
      [["blue kettle", "general"]],
    );
    const body = state.proxy.searches.at(-1);
    assert.equal(body?.toolDetail, "compact");
    assert.equal(body?.domainTools, sent.domainTools, "true when alexandria goes with web");
    assert.deepEqual(body?.sources, sent.sources);
    assert.match(String(body?.origin), /^mcp-.*@3\.26\.0$/);
  });

  it("firecrawl_scrape with the query format returns the model's answer", async () => {
    const asked = llm.requests.length;
    const doc = await call(state.client, "firecrawl_scrape", {
      url: `${site.url}/products`,
      formats: ["query"],
      queryOptions: { prompt: "What does the Blue Kettle cost?" },
    });
    assert.equal(doc.answer, "The Blue Kettle costs 24.00.", JSON.stringify(doc).slice(0, 500));
    assert.equal(llm.requests.length, asked + 1);
    assert.match(JSON.stringify(llm.requests.at(-1)?.messages), /What does the Blue Kettle cost\?/);
  });
}

type McpState = {
  client: Client;
  server: RunningSkiff;
  proxy: Awaited<ReturnType<typeof recordingProxy>>;
};

/**
 * Hooks for one file section: a Skiff searching the fixture and asking the scripted model, the
 * recording proxy in front of it, and the MCP server connected through it with `keyOf`'s key.
 */
function useMcp(
  env: Record<string, string>,
  keyOf: (serverUrl: string) => Promise<string | undefined>,
): McpState {
  const state = {} as McpState;
  before(async () => {
    state.server = await startSkiff({
      ...env,
      SEARXNG_ENDPOINT: searxng.url,
      OPENAI_BASE_URL: llm.baseUrl,
      OPENAI_API_KEY: "k",
      MODEL_NAME: "scripted",
    });
    const key = await keyOf(state.server.url);
    state.proxy = await recordingProxy(state.server.url);
    state.client = await connect(state.proxy.url, key);
  });
  after(async () => {
    await state.client.close();
    await state.proxy.close();
    await state.server.close();
  });
  return state;
}

/** A team's key, made through the admin API. */
async function teamKey(serverUrl: string): Promise<string> {
  const res = await fetch(`${serverUrl}/admin/v1/teams`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "mcp", credits: 100 }),
  });
  const { apiKey } = (await res.json()) as { apiKey: string };
  return apiKey;
}

describe("firecrawl-mcp keyless against Skiff (AUTH=none)", () => {
  const state = useMcp({}, () => Promise.resolve(undefined));
  searchAndAsk(state, { sources: ["web"], domainTools: false });
});

describe("firecrawl-mcp with FIRECRAWL_API_KEY against Skiff (AUTH=keys)", () => {
  const state = useMcp({ AUTH: "keys", ADMIN_API_KEY: ADMIN_KEY }, teamKey);
  searchAndAsk(state, { sources: ["web", "alexandria"], domainTools: true });
});
