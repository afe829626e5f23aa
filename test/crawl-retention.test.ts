// How long a batch's (and a crawl's) results are kept once it ends: JOB_RETENTION_SECONDS. After
// that every endpoint of the job answers 404. (Zero data retention's hour: crawl-sdk.test.ts.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { postJson, useSkiffAndSite } from "./helpers/skiff-harness.ts";

const RETENTION_SECONDS = 3;
const t = useSkiffAndSite({ JOB_RETENTION_SECONDS: String(RETENTION_SECONDS) });

interface Status {
  status: string;
  expiresAt: string;
  completedAt?: string;
  data: { markdown?: string }[];
}

async function finishedBatch(body: object): Promise<{ id: string; status: Status }> {
  const started = await postJson<{ id: string }>(`${t.server.url}/v2/batch/scrape`, body);
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const id = started.body.id;
  for (let i = 0; i < 300; i++) {
    const status = (await (await fetch(`${t.server.url}/v2/batch/scrape/${id}`)).json()) as Status;
    if (status.status !== "scraping") return { id, status };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`batch ${id} did not finish`);
}

const secondsBetween = (from: string | undefined, to: string) =>
  (Date.parse(to) - Date.parse(from ?? "")) / 1000;

describe("job retention", () => {
  it("keeps a batch's results for JOB_RETENTION_SECONDS after it ends, then answers 404", async () => {
    const { id, status } = await finishedBatch({ urls: [`${t.site.url}/article`] });
    assert.equal(status.status, "completed");
    assert.match(status.data[0]?.markdown ?? "", /known content/);
    const kept = secondsBetween(status.completedAt, status.expiresAt);
    assert.ok(Math.abs(kept - RETENTION_SECONDS) <= 1, `expiresAt ${kept} s after completedAt`);
    const wait = Date.parse(status.expiresAt) + 1000 - Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    for (const [method, path] of [
      ["GET", `/v2/batch/scrape/${id}`],
      ["GET", `/v2/batch/scrape/${id}/errors`],
      ["DELETE", `/v2/batch/scrape/${id}`],
    ] as const) {
      const res = await fetch(`${t.server.url}${path}`, { method });
      const body = (await res.json()) as { error: string };
      assert.deepEqual([res.status, body.error], [404, "Job not found"], `${method} ${path}`);
    }
  });
});
