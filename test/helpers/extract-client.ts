// Helpers of test/extract.test.ts: calls with their headers, the status poll, the deprecation
// check, the bill's formula and a tiny site of nested paths for `/*`.
import assert from "node:assert/strict";
import { serveOnLoopback, type LoopbackServer } from "../fixtures/loopback-server.ts";
import { call, type Reply } from "./http-call.ts";

export const START_WARNING =
  "/v2/extract is deprecated. Use /v2/scrape with formats including a 'json' format object.";
export const STATUS_WARNING =
  "/v2/extract/:jobId is deprecated. Use /v2/scrape with formats including a 'json' format object.";

/** A tiny site of its own for `/*`: /docs links to its children and to /other, outside the path. */
export function startDocsSite(): Promise<LoopbackServer> {
  const pages: Record<string, string> = {
    "/docs": `<h1>Docs home</h1><a href="/docs/a">A</a> <a href="/docs/b">B</a> <a href="/other">O</a>`,
    "/docs/a": `<h1>Docs page A</h1><p>Alpha text.</p><a href="/docs/b/c">C</a>`,
    "/docs/b": `<h1>Docs page B</h1><p>Beta text.</p><a href="/docs">Home</a>`,
    "/docs/b/c": `<h1>Docs page C</h1><p>Gamma text.</p>`,
    "/other": `<h1>Other page</h1><p>Outside the docs.</p>`,
  };
  return serveOnLoopback((req, res) => {
    const body = pages[new URL(req.url ?? "/", "http://x").pathname];
    res.writeHead(body ? 200 : 404, { "content-type": "text/html" });
    res.end(
      `<!doctype html><html><head><title>t</title></head><body>${body ?? "no"}</body></html>`,
    );
  });
}

/** Polls the status until the job is no longer processing. */
export async function finished(base: string, id: string, key?: string): Promise<Reply> {
  for (let i = 0; i < 600; i++) {
    const reply = await call(base, "GET", `/v2/extract/${id}`, undefined, key);
    if (reply.body.status !== "processing") return reply;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the extract did not finish");
}

export function assertDeprecated(reply: Reply, warning: string): void {
  assert.equal(reply.headers.get("deprecation"), "true");
  assert.equal(reply.headers.get("link"), '</v2/scrape>; rel="successor-version"');
  assert.equal(reply.headers.get("warning"), `299 - "${warning}"`);
  assert.deepEqual(reply.body.warnings, [warning]);
  assert.equal(reply.body.replacement, "/v2/scrape");
}

/** ⌈tokens/15⌉ with tokens estimated as ⌈characters of the result's JSON / 4⌉. */
export function creditsFor(data: unknown): number {
  return Math.ceil(Math.ceil(JSON.stringify(data).length / 4) / 15);
}

/** The team's charges, as the database holds them. */
