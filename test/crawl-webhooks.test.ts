// Webhooks of crawls and batches, to a local receiver: signed, in order, and retried.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { postJson, useSkiffAndSite } from "./helpers/skiff-harness.ts";
import { until } from "./helpers/until.ts";

const SECRET = "a-test-secret";
const t = useSkiffAndSite({ SELF_HOSTED_WEBHOOK_HMAC_SECRET: SECRET });

interface Delivery {
  body: string;
  headers: http.IncomingHttpHeaders;
  payload: {
    success: boolean;
    type: string;
    id: string;
    data: unknown[];
    metadata: unknown;
    error?: string;
  };
}

/** Records every POST; answers 500 to the first delivery of each type listed in `failOnce`. */
class Receiver {
  deliveries: Delivery[] = [];
  failOnce = new Set<string>();
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const payload = JSON.parse(body) as Delivery["payload"];
      this.deliveries.push({ body, headers: req.headers, payload });
      const fail = this.failOnce.delete(payload.type);
      res.writeHead(fail ? 500 : 200).end();
    });
  });
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  of(id: string): Delivery[] {
    return this.deliveries.filter((d) => d.payload.id === id);
  }
}

const receiver = new Receiver();
before(() => new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve)));
after(() => new Promise<void>((resolve) => receiver.server.close(() => resolve())));

describe("webhooks", () => {
  it("sends a crawl's events in order, signed, and retries a delivery the receiver refused", async () => {
    receiver.failOnce.add("crawl.page");
    const webhook = { url: receiver.url, metadata: { run: "one" }, headers: { "x-test": "yes" } };
    const started = await postJson<{ id: string }>(`${t.server.url}/v2/crawl`, {
      url: `${t.site.url}/`,
      limit: 3,
      webhook,
    });
    const id = started.body.id;
    await until(
      () => receiver.of(id).some((d) => d.payload.type === "crawl.completed"),
      "completed",
    );
    const types = receiver.of(id).map((d) => d.payload.type);
    assert.deepEqual(types, [
      "crawl.started",
      "crawl.page",
      "crawl.page",
      "crawl.page",
      "crawl.page",
      "crawl.completed",
    ]);
    const [refused, retried] = receiver.of(id).filter((d) => d.payload.type === "crawl.page");
    const withoutId = (body?: string) => body?.replace(/"webhookId":"[^"]+"/, "");
    assert.equal(withoutId(retried?.body), withoutId(refused?.body), "the same page, again");
    for (const delivery of receiver.of(id)) {
      const expected = createHmac("sha256", SECRET).update(delivery.body).digest("hex");
      assert.equal(delivery.headers["x-firecrawl-signature"], `sha256=${expected}`);
      assert.equal(delivery.headers["x-test"], "yes");
      assert.deepEqual(delivery.payload.metadata, { run: "one" });
    }
    const page = receiver.of(id).find((d) => d.payload.type === "crawl.page");
    const doc = page?.payload.data[0] as { markdown?: string; metadata?: { sourceURL?: string } };
    assert.equal(page?.payload.success, true);
    assert.ok(doc.metadata?.sourceURL?.startsWith(t.site.url));
    assert.equal(typeof doc.markdown, "string");
  });

  it("sends a batch's failed page with success false and its error, filtered by `events`", async () => {
    const started = await postJson<{ id: string }>(`${t.server.url}/v2/batch/scrape`, {
      urls: [`${t.site.url}/article`, "http://unresolvable.invalid/"],
      webhook: { url: receiver.url, events: ["page", "completed"] },
    });
    const id = started.body.id;
    await until(
      () => receiver.of(id).some((d) => d.payload.type === "batch_scrape.completed"),
      "completed",
    );
    const types = receiver.of(id).map((d) => d.payload.type);
    assert.deepEqual(types.slice(-1), ["batch_scrape.completed"]);
    assert.equal(types.filter((type) => type === "batch_scrape.page").length, 2);
    assert.equal(types.includes("batch_scrape.started"), false);
    const failed = receiver.of(id).find((d) => d.payload.success === false);
    assert.deepEqual(failed?.payload.data, [
      { metadata: { sourceURL: "http://unresolvable.invalid/" } },
    ]);
    assert.match(failed?.payload.error ?? "", /DNS/);
  });
});
