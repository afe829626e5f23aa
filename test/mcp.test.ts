// The official Firecrawl MCP server (`firecrawl-mcp`, unchanged) pointed at Skiff with
// FIRECRAWL_API_URL, driven by an MCP client over stdio as an AI agent's host would.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { useSkiffAndSite } from "./helpers/skiff-harness.ts";

const t = useSkiffAndSite({ SESSION_WARM_POOL: "1" });
const require = createRequire(import.meta.url);
const MCP_SERVER = path.join(
  path.dirname(require.resolve("firecrawl-mcp/package.json")),
  "dist",
  "index.js",
);

/** A tool's structured answer (the MCP server returns its JSON as text content). */
function structured(result: Awaited<ReturnType<Client["callTool"]>>): Record<string, any> {
  if (result.structuredContent) return result.structuredContent as Record<string, any>;
  const text = (result.content as { type: string; text?: string }[]).find((c) => c.type === "text");
  return JSON.parse(text?.text ?? "{}") as Record<string, any>;
}

describe("firecrawl-mcp against Skiff", () => {
  let client: Client;
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name, arguments: args });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    return structured(result);
  };

  before(async () => {
    client = new Client({ name: "skiff-test", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [MCP_SERVER],
        env: { FIRECRAWL_API_URL: t.server.url, PATH: process.env.PATH ?? "" },
        stderr: "ignore",
      }),
    );
  });

  after(async () => {
    await client.close();
  });

  it("lists the scrape and interact tools", async () => {
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    for (const name of ["firecrawl_scrape", "firecrawl_interact", "firecrawl_interact_stop"]) {
      assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
    }
  });

  it("firecrawl_scrape returns the page's markdown", async () => {
    const doc = await call("firecrawl_scrape", {
      url: `${t.site.url}/article`,
      formats: ["markdown"],
    });
    assert.match(String(doc.markdown), /known content/);
  });

  it("firecrawl_interact opens a session from a url, reuses it by scrapeId, and stops", async () => {
    const opened = await call("firecrawl_interact", {
      url: `${t.site.url}/tabs`,
      code: `await page.click("button[data-panel=two]"); await page.title()`,
    });
    assert.equal(opened.success, true, JSON.stringify(opened));
    assert.equal(opened.result, "Tabs page");
    const scrapeId = String(opened.scrapeId);
    const again = await call("firecrawl_interact", {
      scrapeId,
      code: "agent-browser get text '#two'",
      language: "bash",
    });
    assert.equal(String(again.stdout).trim(), "Second panel content revealed");
    const stopped = await call("firecrawl_interact_stop", { scrapeId });
    assert.equal(stopped.success, true, JSON.stringify(stopped));
  });
});
