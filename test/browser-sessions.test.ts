// Standalone browser sessions (spec §2.11) through the official SDK's helpers: browser,
// browserExecute (bash by default there), listBrowsers, deleteBrowser.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Firecrawl from "@mendable/firecrawl-js";
import { sdkError } from "./helpers/interact-client.ts";
import { postJson, useSkiffAndSite } from "./helpers/skiff-harness.ts";

const t = useSkiffAndSite({ SESSION_WARM_POOL: "1" });
const sdk = () => new Firecrawl({ apiUrl: t.server.url, apiKey: "" });

describe("standalone browser sessions", () => {
  it("creates, executes in bash and node, lists, deletes, then answers 410", async () => {
    const created = await sdk().browser({ ttl: 120, activityTtl: 60 });
    assert.equal(created.success, true);
    const id = String(created.id);
    assert.match(id, /^[0-9a-f-]{36}$/);
    const expires = Date.parse(String(created.expiresAt)) - Date.now();
    assert.ok(expires > 100_000 && expires <= 120_000, `expires in ${expires} ms`);
    const opened = await sdk().browserExecute(id, {
      code: `agent-browser open ${t.site.url}/tabs >/dev/null && agent-browser get title`,
    });
    assert.equal(opened.success, true, opened.error);
    assert.equal(String(opened.stdout).trim(), "Tabs page");
    const node = await sdk().browserExecute(id, { code: "page.url()", language: "node" });
    assert.equal(node.result, `${t.site.url}/tabs`);
    const active = await sdk().listBrowsers({ status: "active" });
    assert.ok(active.sessions?.some((s) => s.id === id && s.status === "active"));
    const deleted = await sdk().deleteBrowser(id);
    assert.equal(deleted.success, true);
    assert.equal(deleted.creditsBilled, 2);
    const destroyed = await sdk().listBrowsers({ status: "destroyed" });
    assert.ok(destroyed.sessions?.some((s) => s.id === id));
    const gone = await sdkError(sdk().browserExecute(id, { code: "true" }));
    assert.equal(gone.status, 410);
    assert.equal(gone.message, "Browser session has been destroyed.");
  });

  it("404 for an unknown session, 400 for a bad body, and the /v2/interact alias", async () => {
    const missing = await sdkError(
      sdk().browserExecute("0190a5b2-1234-7000-8000-000000000000", { code: "true" }),
    );
    assert.equal(missing.status, 404);
    assert.equal(missing.message, "Browser session not found.");
    const bad = await postJson(`${t.server.url}/v2/browser`, { ttl: 5 });
    assert.deepEqual(bad.body.success, false);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, "Bad Request");
    const noCode = await postJson(`${t.server.url}/v2/browser/${"0".repeat(8)}/execute`, {});
    assert.equal(noCode.status, 400);
    assert.equal(noCode.body.code, "BAD_REQUEST");
    const badStatus = await fetch(`${t.server.url}/v2/browser?status=sleeping`);
    assert.equal(badStatus.status, 400);
    assert.equal(((await badStatus.json()) as { success: boolean }).success, false);
    const alias = await postJson(`${t.server.url}/v2/interact`, { ttl: 60 });
    assert.equal(alias.status, 200);
    const stop = await fetch(`${t.server.url}/v2/interact/${String(alias.body.id)}`, {
      method: "DELETE",
    });
    assert.equal(stop.status, 200);
  });

  it("takes a profile: one writer at a time", async () => {
    const first = await sdk().browser({ profile: { name: "standalone", saveChanges: true } });
    const second = await sdkError(sdk().browser({ profile: { name: "standalone" } }));
    assert.equal(second.status, 409);
    const reader = await sdk().browser({ profile: { name: "standalone", saveChanges: false } });
    assert.equal(reader.success, true);
    await sdk().deleteBrowser(String(first.id));
    await sdk().deleteBrowser(String(reader.id));
  });
});
