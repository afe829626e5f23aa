// The `question`, `highlights` and deprecated `query` formats (spec §7.1–7.2): a real Skiff, real
// Chromium on loopback pages, and a scripted OpenAI-compatible model that records what it got.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import Firecrawl from "@mendable/firecrawl-js";
import {
  startScriptedLlm,
  type ReceivedRequest,
  type ScriptedLlm,
  type ScriptedTurn,
} from "./fixtures/scripted-llm.ts";
import { startTestSite, type TestSite } from "./fixtures/site/test-site.ts";
import { serveOnLoopback } from "./fixtures/loopback-server.ts";
import { postJson, startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

const RELEASE_NOTES = readFileSync(
  path.join(import.meta.dirname, "fixtures/pages/table-code.html"),
  "utf8",
);

/** Pages this file serves itself: the release notes (a table and code) and an empty page. */
interface Pages {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

async function startPages(): Promise<Pages> {
  const hits: string[] = [];
  const server = await serveOnLoopback((req, res) => {
    hits.push(req.url ?? "");
    const body =
      req.url === "/release-notes" ? RELEASE_NOTES : "<!doctype html><html><body></body></html>";
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(body);
  });
  return { ...server, hits };
}

let llm: ScriptedLlm;
let server: RunningSkiff;
let site: TestSite;
let pages: Pages;

before(async () => {
  llm = await startScriptedLlm();
  [server, site, pages] = await Promise.all([
    startSkiff({ OPENAI_BASE_URL: llm.baseUrl, OPENAI_API_KEY: "k", MODEL_NAME: "scripted" }),
    startTestSite(),
    startPages(),
  ]);
});
after(async () => {
  await Promise.all([server.close(), site.close(), llm.close(), pages.close()]);
});

const scrape = (body: Record<string, unknown>) => postJson(`${server.url}/v2/scrape`, body);
const sdk = () => new Firecrawl({ apiUrl: server.url, apiKey: "" });
const products = () => `${site.url}/products`;
const releaseNotes = () => `${pages.url}/release-notes`;

/** What the model was sent in its user message. */
function userText(request: ReceivedRequest | undefined): string {
  const content = request?.messages.find((m) => m.role === "user")?.content;
  if (typeof content === "string") return content;
  return (content as { text?: string }[] | undefined)?.map((p) => p.text ?? "").join("") ?? "";
}

const isQuestion = (r: ReceivedRequest) => userText(r).includes("The question:");
const isHighlights = (r: ReceivedRequest) => userText(r).includes("numbered lines");

/** The numbers of the lines (as the model was shown them) whose text matches `wanted`. */
function linesMatching(request: ReceivedRequest, wanted: RegExp): number[] {
  return [...userText(request).matchAll(/^(\d+): (.*)$/gm)]
    .filter((m) => wanted.test(m[2] ?? ""))
    .map((m) => Number(m[1]));
}

/** A model that answers questions with `answer` and picks the lines matching `lines`, reversed. */
function model(answer: string, lines: RegExp): (r: ReceivedRequest) => ScriptedTurn {
  return (r) =>
    isHighlights(r)
      ? { text: JSON.stringify(linesMatching(r, lines).reverse()) }
      : { text: answer };
}

describe("question", () => {
  it("is the model's answer to the question about the page's text (official SDK)", async () => {
    llm.use(model("Blue Kettle costs 24.00.", /never/));
    const doc = await sdk().scrape(products(), {
      formats: [{ type: "question", question: "What does the Blue Kettle cost?" }],
    });
    assert.equal(doc.answer, "Blue Kettle costs 24.00.");
    assert.equal(doc.markdown, undefined, "markdown made for the model only");
    assert.equal(doc.metadata?.creditsUsed, 5);
    assert.equal(llm.requests.length, 1);
    const sent = userText(llm.requests[0]);
    assert.match(sent, /The question: What does the Blue Kettle cost\?/);
    assert.match(sent, /\| Blue Kettle \| 24\.00 \|/);
    assert.match(sent, /Red Teapot/);
  });

  it("sits after markdown and before metadata; GET replays it", async () => {
    llm.use(model("Two products.", /never/));
    const r = await scrape({
      url: products(),
      formats: [{ type: "question", question: "How many products?" }, "markdown"],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body.data), ["markdown", "answer", "metadata"]);
    const id = r.body.data.metadata.scrapeId;
    const stored = await fetch(`${server.url}/v2/scrape/${id}`).then((res) => res.json());
    assert.deepEqual(stored, { success: true, data: r.body.data });
  });

  it("runs under zero data retention, like json, costing 1 more", async () => {
    llm.use(model("24.00", /never/));
    const formats = [{ type: "question", question: "Kettle price?" }];
    const r = await scrape({ url: products(), formats, zeroDataRetention: true });
    assert.equal(r.body.data.answer, "24.00");
    assert.equal(r.body.data.metadata.creditsUsed, 6);
  });
});

describe("in a batch", () => {
  it("each page gets its answer and highlights, billed per page", async () => {
    llm.use(model("A release notes page.", /npm install/));
    const job = await sdk().batchScrape([releaseNotes()], {
      options: {
        formats: [
          { type: "question", question: "What is this page?" },
          { type: "highlights", query: "How to install?" },
        ],
      },
      pollInterval: 1,
      timeout: 60,
    });
    assert.equal(job.status, "completed");
    const [page] = job.data;
    assert.equal(page?.answer, "A release notes page.");
    assert.equal(page?.highlights, "```bash\nnpm install tidekit\n```");
    assert.equal(page?.metadata?.creditsUsed, 9);
  });
});

describe("highlights", () => {
  const expected = [
    "| Version | Date | Highlights |",
    "| --- | --- | --- |",
    "| 2.0.0 | 2024-01-15 | New API |",
    "",
    "```typescript",
    "if (tide.level > 2) {",
    "  console.log(tide);",
    "```",
  ].join("\n");

  it("are the picked lines verbatim, in page order: a row with its header, code fenced", async () => {
    llm.use(model("unused", /2\.0\.0|tide\.level|console\.log/));
    const doc = await sdk().scrape(releaseNotes(), {
      formats: ["markdown", { type: "highlights", query: "What changed in 2.0.0, and the if?" }],
    });
    assert.equal(doc.highlights, expected);
    assert.equal(doc.metadata?.creditsUsed, 5);
    const sent = userText(llm.requests[0]);
    assert.match(sent, /this query: What changed in 2\.0\.0, and the if\?/);
    assert.match(sent, /^\d+: npm install tidekit$/m);
    assert.ok(!sent.includes("```"), "the model sees lines, not fences");
  });

  it("with question, costs 9 and answers both; an empty pick is an empty string", async () => {
    llm.use(model("Faster parse().", /no line matches this/));
    const r = await scrape({
      url: releaseNotes(),
      formats: [
        { type: "highlights", query: "Anything about pricing?" },
        { type: "question", question: "What is new in 2.1.0?" },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body.data), ["answer", "highlights", "metadata"]);
    assert.equal(r.body.data.answer, "Faster parse().");
    assert.equal(r.body.data.highlights, "");
    assert.equal(r.body.data.metadata.creditsUsed, 9);
    assert.equal(llm.requests.length, 2);
  });
});

describe("query (deprecated)", () => {
  it("freeform is the question mechanism, filling answer", async () => {
    llm.use(model("It lists release notes.", /never/));
    const r = await scrape({
      url: releaseNotes(),
      formats: [{ type: "query", prompt: "What is this page?", mode: "freeform" }],
    });
    assert.equal(r.body.data.answer, "It lists release notes.");
    assert.ok(isQuestion(llm.requests[0] as ReceivedRequest));
    assert.equal(r.body.data.metadata.creditsUsed, 5);
  });

  it("directQuote is the highlights mechanism, filling answer", async () => {
    llm.use(model("unused", /npm install|Install it/));
    const r = await scrape({
      url: releaseNotes(),
      formats: [{ type: "query", prompt: "How do I install it?", mode: "directQuote" }],
    });
    assert.equal(r.body.data.answer, "Install it:\n\n```bash\nnpm install tidekit\n```");
    assert.equal(r.body.data.highlights, undefined);
    assert.ok(isHighlights(llm.requests[0] as ReceivedRequest));
  });

  it("with question, only the first is answered and billed once", async () => {
    llm.use(model("24.00", /never/));
    const r = await scrape({
      url: products(),
      formats: [
        { type: "question", question: "Kettle price?" },
        { type: "query", prompt: "Teapot price?" },
      ],
    });
    assert.equal(r.body.data.answer, "24.00");
    assert.equal(r.body.data.metadata.creditsUsed, 5);
    assert.equal(llm.requests.length, 1);
    assert.match(userText(llm.requests[0]), /Kettle price\?/);
  });
});

describe("when the model fails", () => {
  it("an HTTP error gives the warning and no field; the scrape succeeds, unbilled", async () => {
    llm.use(() => ({ status: 500, error: "the scripted model is down" }));
    const r = await scrape({
      url: products(),
      formats: ["markdown", { type: "question", question: "Kettle price?" }],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.data.answer, undefined);
    assert.equal(r.body.data.warning, "Query generation failed after all models.");
    assert.match(r.body.data.markdown, /Blue Kettle/);
    assert.equal(r.body.data.metadata.creditsUsed, 1);
    assert.equal(llm.requests.length, 2, "retried once");
  });

  it("warnings go before the one already there, joined by a space", async () => {
    llm.use((r) => (isHighlights(r) ? { text: "I cannot tell." } : { status: 503, error: "x" }));
    const r = await scrape({
      url: products(),
      proxy: "stealth",
      formats: [
        { type: "question", question: "Kettle price?" },
        { type: "highlights", query: "kettle" },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body.data), ["warning", "metadata"]);
    assert.equal(
      r.body.data.warning,
      "Highlights generation failed after all models. Query generation failed after all models. " +
        "Skiff has no stealth proxy; the page was fetched directly.",
    );
  });
});

describe("an empty page", () => {
  it("skips the model with the spec's warning", async () => {
    llm.use(model("should not be asked", /./));
    const r = await scrape({
      url: `${pages.url}/empty`,
      formats: [
        { type: "question", question: "Anything?" },
        { type: "highlights", query: "anything" },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.data.warning, "Query was skipped because the markdown content is empty.");
    assert.equal(r.body.data.answer, undefined);
    assert.equal(r.body.data.metadata.creditsUsed, 1);
    assert.equal(llm.requests.length, 0);
  });
});

describe("bad format objects", () => {
  const bad = [
    { type: "question" },
    { type: "question", question: "" },
    { type: "question", question: "Why?", extra: 1 },
    { type: "question", prompt: "Why?" },
    { type: "highlights" },
    { type: "highlights", query: "q".repeat(10_001) },
    "question",
  ];
  for (const format of bad) {
    it(`${JSON.stringify(format).slice(0, 60)} is a 400 Bad Request`, async () => {
      const r = await scrape({ url: products(), formats: [format] });
      assert.equal(r.status, 400);
      assert.equal(r.body.success, false);
      assert.equal(r.body.code, "BAD_REQUEST");
      assert.equal(r.body.error, "Bad Request");
      assert.ok(Array.isArray(r.body.details));
    });
  }
});

describe("without a model provider", () => {
  let bare: RunningSkiff;
  before(async () => (bare = await startSkiff()));
  after(async () => bare.close());

  it("question, highlights and query are 503 LLM_NOT_CONFIGURED before any page load", async () => {
    const before = pages.hits.length;
    const formats = [
      { type: "question", question: "q" },
      { type: "highlights", query: "q" },
      { type: "query", prompt: "q", mode: "directQuote" },
    ];
    for (const format of formats) {
      const r = await postJson(`${bare.url}/v2/scrape`, { url: releaseNotes(), formats: [format] });
      assert.equal(r.status, 503);
      assert.equal(r.body.code, "LLM_NOT_CONFIGURED");
      assert.match(r.body.error, /OPENAI_BASE_URL/);
    }
    assert.equal(pages.hits.length, before, "no browser went to the page");
  });
});
