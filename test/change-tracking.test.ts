// The `changeTracking` format (spec §7.3): each team's history of a page it scrapes, compared on
// the next scrape. Real Skiff with teams (AUTH=keys), real Chromium, a page server of this file's
// own whose content the tests change, and a scripted model for the `json` mode.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Firecrawl from "@mendable/firecrawl-js";
import {
  startScriptedLlm,
  type ReceivedRequest,
  type ScriptedLlm,
} from "./fixtures/scripted-llm.ts";
import { serveOnLoopback } from "./fixtures/loopback-server.ts";
import { postJson, startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

const ADMIN_KEY = "admin-key-for-the-change-tracking-test-0123";

/** Pages whose HTML and status the tests set, by path; unset paths hold the starting pricing. */
interface MutablePages {
  url: string;
  set(path: string, page: { body?: string; status?: number }): void;
  close(): Promise<void>;
}

const pricing = (starter: string, pro = "$29/mo") =>
  `<!doctype html><title>Pricing</title><main><h1>Pricing</h1>` +
  `<p>Starter: ${starter}</p><p>Pro: ${pro}</p></main>`;

async function startPages(): Promise<MutablePages> {
  const pages = new Map<string, { body?: string; status?: number }>();
  const server = await serveOnLoopback((req, res) => {
    const page = pages.get(req.url ?? "") ?? {};
    res.writeHead(page.status ?? 200, { "content-type": "text/html; charset=utf-8" });
    res.end(page.body ?? pricing("$9/mo"));
  });
  return { ...server, set: (path, page) => pages.set(path, page) };
}

let llm: ScriptedLlm;
let server: RunningSkiff;
let pages: MutablePages;
let keyA: string;
let keyB: string;

async function createTeam(name: string): Promise<string> {
  const res = await fetch(`${server.url}/admin/v1/teams`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ name, credits: 1000 }),
  });
  const body = (await res.json()) as { apiKey: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.apiKey;
}

before(async () => {
  llm = await startScriptedLlm();
  [server, pages] = await Promise.all([
    startSkiff({
      AUTH: "keys",
      ADMIN_API_KEY: ADMIN_KEY,
      OPENAI_BASE_URL: llm.baseUrl,
      OPENAI_API_KEY: "k",
      MODEL_NAME: "scripted",
    }),
    startPages(),
  ]);
  [keyA, keyB] = await Promise.all([createTeam("Team A"), createTeam("Team B")]);
});
after(async () => {
  await Promise.all([server.close(), pages.close(), llm.close()]);
});

const sdk = (key = keyA) => new Firecrawl({ apiUrl: server.url, apiKey: key });
const GIT_DIFF = ["markdown", { type: "changeTracking" as const, modes: ["git-diff" as const] }];
const tagged = (tag: string) => ["markdown", { type: "changeTracking" as const, modes: [], tag }];

/** What the tests read of a document; `changeTracking` is wire JSON they assert on. */
interface TrackedDocument {
  markdown?: string;
  metadata?: { statusCode?: number; creditsUsed?: number };
  changeTracking?: Record<string, any>;
}

/** A scrape through the official SDK. */
async function track(path: string, formats: unknown[] = GIT_DIFF, key = keyA) {
  const doc: TrackedDocument = await sdk(key).scrape(`${pages.url}${path}`, {
    formats: formats as never,
  });
  return doc;
}

/** A raw POST /v2/scrape as team A. */
async function rawScrape(body: Record<string, unknown>) {
  const res = await fetch(`${server.url}/v2/scrape`, {
    method: "POST",
    headers: { authorization: `Bearer ${keyA}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe("changeTracking", { concurrency: true }, () => {
  it("is new, then changed with the changed line in the diff, then same", async () => {
    const started = Date.now();
    const first = await track("/pricing");
    assert.deepEqual(first.changeTracking, {
      previousScrapeAt: null,
      changeStatus: "new",
      visibility: "visible",
    });
    assert.deepEqual(Object.keys(first), ["markdown", "changeTracking", "metadata"]);
    assert.equal(first.metadata?.creditsUsed, 1, "git-diff costs nothing more");
    const firstDone = Date.now();

    pages.set("/pricing", { body: pricing("$12/mo") });
    const second = await track("/pricing");
    const tracked = second.changeTracking ?? {};
    assert.deepEqual(Object.keys(tracked), [
      "previousScrapeAt",
      "changeStatus",
      "visibility",
      "diff",
    ]);
    assert.equal(tracked.changeStatus, "changed");
    const previousAt = Date.parse(tracked.previousScrapeAt);
    assert.ok(previousAt >= started && previousAt <= firstDone, tracked.previousScrapeAt);
    assert.equal(new Date(previousAt).toISOString(), tracked.previousScrapeAt);
    assert.match(tracked.diff.text, /^@@ -\d+(,\d+)? \+\d+(,\d+)? @@\n/);
    assert.match(tracked.diff.text, /\n-Starter: \$9\/mo\n\+Starter: \$12\/mo\n/);
    const line = (markdown: string | undefined, text: string) =>
      (markdown ?? "").split("\n").indexOf(text) + 1;
    const changes = tracked.diff.json.files[0].chunks[0].changes;
    assert.deepEqual(
      changes.find((c: { type: string }) => c.type === "del"),
      {
        type: "del",
        content: "-Starter: $9/mo",
        del: true,
        ln: line(first.markdown, "Starter: $9/mo"),
      },
    );
    assert.deepEqual(
      changes.find((c: { type: string }) => c.type === "add"),
      {
        type: "add",
        content: "+Starter: $12/mo",
        add: true,
        ln: line(second.markdown, "Starter: $12/mo"),
      },
    );
    assert.equal(tracked.diff.json.files[0].from, null);

    const third = await track("/pricing");
    assert.equal(third.changeTracking?.changeStatus, "same");
    assert.equal(third.changeTracking?.diff, undefined);
    assert.ok(Date.parse(third.changeTracking?.previousScrapeAt) > previousAt);
  });

  it("keeps a separate history per tag", async () => {
    assert.equal((await track("/tagged")).changeTracking?.changeStatus, "new");
    pages.set("/tagged", { body: pricing("$10/mo") });
    const hourly = await track("/tagged", tagged("hourly"));
    assert.equal(hourly.changeTracking?.changeStatus, "new", "hourly has no history yet");
    const untagged = await track("/tagged");
    assert.equal(untagged.changeTracking?.changeStatus, "changed", "against the untagged $9");
    assert.equal((await track("/tagged", tagged("hourly"))).changeTracking?.changeStatus, "same");
  });

  it("never shows a team another team's history", async () => {
    assert.equal((await track("/teams")).changeTracking?.changeStatus, "new");
    assert.equal((await track("/teams", GIT_DIFF, keyB)).changeTracking?.changeStatus, "new");
    assert.equal((await track("/teams", GIT_DIFF, keyB)).changeTracking?.changeStatus, "same");
  });

  it("keeps nothing under zero data retention, and says so", async () => {
    const url = `${pages.url}/zdr`;
    const zdr = await rawScrape({ url, formats: GIT_DIFF, zeroDataRetention: true });
    assert.equal(zdr.status, 200, JSON.stringify(zdr.body));
    assert.equal(zdr.body.data.changeTracking, undefined);
    assert.equal(
      zdr.body.data.warning,
      "Change tracking is not supported with zero data retention.",
    );
    const next = await track("/zdr");
    assert.equal(next.changeTracking?.changeStatus, "new", "the ZDR scrape left no history");
    const again = await rawScrape({ url, formats: GIT_DIFF, zeroDataRetention: true });
    assert.equal(again.body.data.changeTracking, undefined, "nor reads any");
  });

  it("a page that now answers 404 is removed", async () => {
    assert.equal((await track("/gone")).changeTracking?.changeStatus, "new");
    pages.set("/gone", { status: 404, body: "<!doctype html><title>Gone</title><p>Not here</p>" });
    const gone = await track("/gone");
    assert.equal(gone.metadata?.statusCode, 404);
    assert.equal(gone.changeTracking?.changeStatus, "removed");
    assert.equal(typeof gone.changeTracking?.previousScrapeAt, "string");
    assert.equal(gone.changeTracking?.diff, undefined);
  });

  it("json mode compares the schema's keys of both versions, and costs 5", async () => {
    const schema = {
      type: "object",
      properties: { starter: { type: "string" }, pro: { type: "string" } },
      required: ["starter", "pro"],
    };
    const formats = ["markdown", { type: "changeTracking", modes: ["json"], schema }];
    const first = await track("/json", formats);
    assert.equal(first.changeTracking?.changeStatus, "new");
    assert.equal(first.metadata?.creditsUsed, 5);
    pages.set("/json", { body: pricing("$12/mo") });
    const seen: ReceivedRequest[] = [];
    llm.use((request) => {
      seen.push(request);
      const text = JSON.stringify(request.messages);
      const starter = /Starter: (\$\d+\/mo)/.exec(text)?.[1] ?? "none";
      return { text: JSON.stringify({ starter, pro: "$29/mo" }) };
    });
    const second = await track("/json", formats);
    assert.equal(second.changeTracking?.changeStatus, "changed");
    assert.deepEqual(second.changeTracking?.json, {
      starter: { previous: "$9/mo", current: "$12/mo" },
    });
    assert.equal(second.changeTracking?.diff, undefined, "git-diff was not asked for");
    assert.equal(second.metadata?.creditsUsed, 5);
    assert.equal(seen.length, 2, "one extraction per version");
    assert.deepEqual((seen[0]?.responseFormat as any)?.json_schema?.schema, schema);
  });

  it("needs markdown among the formats", async () => {
    const r = await rawScrape({ url: `${pages.url}/x`, formats: [{ type: "changeTracking" }] });
    assert.equal(r.status, 400);
    assert.deepEqual(
      [r.body.success, r.body.code, r.body.error],
      [
        false,
        "BAD_REQUEST",
        "The changeTracking format requires the markdown format to be specified as well",
      ],
    );
  });

  it("a batch page carries it and writes the history a later scrape compares with", async () => {
    const job = await sdk().batchScrape([`${pages.url}/batch`], {
      options: { formats: GIT_DIFF as never },
      pollInterval: 1,
      timeout: 120,
    });
    assert.equal(job.status, "completed");
    const page = job.data[0] as { changeTracking?: Record<string, unknown> } | undefined;
    assert.equal(page?.changeTracking?.changeStatus, "new");
    const later = await track("/batch");
    assert.equal(later.changeTracking?.changeStatus, "same");
  });
});

describe("changeTracking without a model", () => {
  let bare: RunningSkiff;
  before(async () => (bare = await startSkiff()));
  after(async () => bare.close());

  it("git-diff works; json mode is 503 LLM_NOT_CONFIGURED", async () => {
    const url = `${pages.url}/no-model`;
    const diff = await postJson(`${bare.url}/v2/scrape`, { url, formats: GIT_DIFF });
    assert.equal(diff.status, 200, JSON.stringify(diff.body));
    assert.equal(diff.body.data.changeTracking.changeStatus, "new");
    const formats = ["markdown", { type: "changeTracking", modes: ["json"] }];
    const json = await postJson(`${bare.url}/v2/scrape`, { url, formats });
    assert.equal(json.status, 503);
    assert.equal(json.body.code, "LLM_NOT_CONFIGURED");
  });
});
