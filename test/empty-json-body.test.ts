// The Python SDK sends every DELETE with `Content-Type: application/json`, `Content-Length: 0` and
// no body; Firecrawl reads that as `{}`. Every DELETE route the app has must too (a new one is
// covered by itself). Requests go over a real socket, with the headers `requests` sends.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

const ADMIN_KEY = "an-admin-key-for-this-test";
const NO_SUCH_ID = "01900000-0000-7000-8000-000000000000";
const MALFORMED = {
  success: false,
  code: "BAD_REQUEST_INVALID_JSON",
  error: "Bad request, malformed JSON",
};
let server: RunningSkiff;
before(async () => (server = await startSkiff({ ADMIN_API_KEY: ADMIN_KEY })));
after(async () => server.close());

/** Every DELETE route, from Fastify's own listing: `/v2/browser/:sessionId (DELETE)`. */
function deleteRoutes(): string[] {
  const listing = server.skiff.app.printRoutes({ commonPrefix: false, method: "DELETE" });
  return [...listing.matchAll(/(\/\S+) \(DELETE\)/g)].map((m) => m[1] ?? "");
}

/** A path with each parameter filled by a well-formed id that names nothing. */
const concrete = (route: string) => route.replace(/:[A-Za-z]+/g, NO_SUCH_ID);

async function send(method: string, path: string, body: string, type = "application/json") {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { "content-type": type, authorization: `Bearer ${ADMIN_KEY}` },
    body,
  });
  return { status: res.status, body: await res.text() };
}

async function adminPost(path: string, body: unknown): Promise<{ id: string }> {
  const res = await send("POST", path, JSON.stringify(body));
  assert.equal(res.status, 200, res.body);
  return JSON.parse(res.body) as { id: string };
}

describe("an empty body with a JSON content type", () => {
  it("finds the DELETE routes", () => {
    assert.ok(deleteRoutes().length >= 7, deleteRoutes().join(", "));
    assert.ok(deleteRoutes().includes("/v2/scrape/:jobId/interact"));
    assert.ok(deleteRoutes().includes("/admin/v1/keys/:keyId"));
  });

  it("is read as {} by every DELETE route: each answers what it means, never malformed JSON", async () => {
    for (const route of deleteRoutes()) {
      const r = await send("DELETE", concrete(route), "");
      assert.doesNotMatch(r.body, /BAD_REQUEST_INVALID_JSON|malformed JSON/, `${route}: ${r.body}`);
      assert.equal(r.status, 404, `${route} answered ${r.status}: ${r.body}`);
    }
  });

  it("with a charset parameter too", async () => {
    const r = await send(
      "DELETE",
      `/v2/profiles/${NO_SUCH_ID}`,
      "",
      "application/json; charset=utf-8",
    );
    assert.equal(r.status, 404, r.body);
  });

  it("lets a DELETE that finds its target do its work: 200", async () => {
    const team = await adminPost("/admin/v1/teams", { name: "empty-body", credits: 1 });
    const key = await adminPost(`/admin/v1/teams/${team.id}/keys`, {});
    const revoked = await send("DELETE", `/admin/v1/keys/${key.id}`, "");
    assert.deepEqual([revoked.status, JSON.parse(revoked.body)], [200, { success: true }]);
    const again = await send("DELETE", `/admin/v1/keys/${key.id}`, "");
    assert.equal(again.status, 404, "revoked by the first DELETE");
  });

  it("on a POST too, while a malformed body is still 400 BAD_REQUEST_INVALID_JSON", async () => {
    const empty = await send("POST", "/v2/scrape", "");
    assert.equal(empty.status, 400);
    assert.match(empty.body, /"url"/, "validated as {}: the url is missing");
    for (const [method, path] of [
      ["DELETE", concrete("/v2/browser/:sessionId")],
      ["POST", "/v2/scrape"],
    ] as const) {
      const broken = await send(method, path, "{");
      assert.deepEqual([broken.status, JSON.parse(broken.body)], [400, MALFORMED], path);
    }
  });
});
