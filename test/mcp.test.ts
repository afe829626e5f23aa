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

  it("firecrawl_crawl runs a crawl to its end; firecrawl_check_crawl_status reads it back", async () => {
    const crawled = await call("firecrawl_crawl", { url: `${t.site.url}/`, limit: 10 });
    assert.equal(crawled.status, "completed", JSON.stringify(crawled).slice(0, 500));
    const pages = (crawled.data as { metadata: { sourceURL: string } }[]).map(
      (doc) => new URL(doc.metadata.sourceURL).pathname,
    );
    assert.deepEqual(pages.sort(), ["/", "/article", "/form", "/long", "/tabs"]);
    const started = await fetch(`${t.server.url}/v2/crawl`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: `${t.site.url}/`, limit: 2 }),
    });
    const { id } = (await started.json()) as { id: string };
    let status: Record<string, any> = {};
    for (let i = 0; i < 100 && status.status !== "completed"; i++) {
      status = await call("firecrawl_check_crawl_status", { id });
      if (status.status !== "completed") await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual([status.status, status.completed, status.total], ["completed", 2, 2]);
  });

  it("firecrawl_map lists the site's pages", async () => {
    const mapped = await call("firecrawl_map", { url: `${t.site.url}/`, search: "tabs" });
    const links = mapped.links as { url: string }[];
    assert.equal(new URL(links[0]?.url ?? "").pathname, "/tabs");
    assert.ok(links.length >= 5);
  });
});
