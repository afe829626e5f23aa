import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { AppError } from "../errors.ts";
import { createLogger } from "../log.ts";
import { SearxngBackend } from "./searxng-backend.ts";
import { parseTbs } from "./time-filter.ts";

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("SearxngBackend", () => {
  it("an unreachable instance is SEARCH_BACKEND_FAILED naming it and the cause", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const backend = new SearxngBackend({
      endpoint,
      engines: undefined,
      categories: undefined,
      logger: createLogger("silent"),
    });
    const query = { q: "x", sources: ["web" as const], limit: 1, lang: "en" };
    await assert.rejects(
      backend.search({ ...query, signal: AbortSignal.timeout(5000) }),
      (err: AppError) => {
        assert.equal(err.kind, "SEARCH_BACKEND_FAILED");
        assert.equal(err.status, 502);
        assert.equal(err.message, `SearXNG at ${endpoint} could not be reached: ECONNREFUSED`);
        return true;
      },
    );
  });
});

describe("parseTbs", () => {
  const now = Date.UTC(2026, 11, 4, 12);

  it("maps qdr values, with an hour also as a publication window", () => {
    assert.deepEqual(parseTbs("qdr:h", now), { timeRange: "day", after: now - 3600_000 });
    assert.deepEqual(parseTbs("qdr:w,sbd:1", now), { timeRange: "week", sortByDate: true });
  });

  it("a custom range: the smallest covering range and the window, to the end of cd_max", () => {
    assert.deepEqual(parseTbs("cdr:1,cd_min:11/20/2026,cd_max:11/30/2026", now), {
      timeRange: "month",
      after: Date.UTC(2026, 10, 20),
      before: Date.UTC(2026, 11, 1) - 1,
    });
    assert.deepEqual(parseTbs("cdr:1,cd_min:1/1/2020", now), { after: Date.UTC(2020, 0, 1) });
  });

  it("names what it does not understand", () => {
    const refusal = (tbs: string) => {
      const parsed = parseTbs(tbs, now);
      assert.equal(typeof parsed, "string", tbs);
      return parsed as string;
    };
    assert.match(refusal("qdr:x"), /Unsupported tbs part "qdr:x"/);
    assert.match(refusal("cdr:1,cd_min:13/45/2026"), /cd_min:13\/45\/2026/);
    assert.match(refusal("cdr:1"), /needs cd_min/);
    assert.match(refusal("li:1"), /Skiff understands qdr:h/);
  });
});
