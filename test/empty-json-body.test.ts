// The Python SDK sends every DELETE with `Content-Type: application/json` and no body; Firecrawl
// reads that as `{}`. Every DELETE route the app has must too (a new one is covered by itself).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

const ADMIN_KEY = "an-admin-key-for-this-test";
let server: RunningSkiff;
before(async () => (server = await startSkiff({ ADMIN_API_KEY: ADMIN_KEY })));
after(async () => server.close());

/** Every DELETE route, from Fastify's own listing: `/v2/browser/:sessionId (DELETE)`. */
function deleteRoutes(): string[] {
  const listing = server.skiff.app.printRoutes({ commonPrefix: false, method: "DELETE" });
  return [...listing.matchAll(/(\/\S+) \(DELETE\)/g)].map((m) => m[1] ?? "");
}

/** A path with each parameter filled by a well-formed id that names nothing. */
const concrete = (route: string) =>
  route.replace(/:[A-Za-z]+/g, "01900000-0000-7000-8000-000000000000");

async function send(method: string, url: string, payload: string | undefined) {
  const res = await server.skiff.app.inject({
    method: method as "DELETE",
    url,
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}` },
    ...(payload !== undefined && { payload }),
  });
  return { status: res.statusCode, body: res.body };
}

describe("an empty body with a JSON content type", () => {
  it("finds the DELETE routes", () => {
    assert.ok(deleteRoutes().length >= 6, deleteRoutes().join(", "));
    assert.ok(deleteRoutes().includes("/v2/scrape/:jobId/interact"));
  });

  it("is read as {} by every DELETE route: each answers what it means, never malformed JSON", async () => {
    for (const route of deleteRoutes()) {
      const r = await send("DELETE", concrete(route), undefined);
      assert.doesNotMatch(r.body, /BAD_REQUEST_INVALID_JSON|malformed JSON/, `${route}: ${r.body}`);
      assert.ok(r.status === 404 || r.status === 200, `${route} answered ${r.status}: ${r.body}`);
    }
  });

  it("on a POST too, while a malformed body is still 400 BAD_REQUEST_INVALID_JSON", async () => {
    const empty = await send("POST", "/v2/scrape", "");
    assert.equal(empty.status, 400);
    assert.match(empty.body, /"url"/, "validated as {}: the url is missing");
    const broken = await send("DELETE", concrete("/v2/browser/:sessionId"), "{");
    assert.equal(broken.status, 400);
    assert.deepEqual(JSON.parse(broken.body), {
      success: false,
      code: "BAD_REQUEST_INVALID_JSON",
      error: "Bad request, malformed JSON",
    });
  });
});
