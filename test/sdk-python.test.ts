// The official Python SDK (firecrawl-py, in .skiff/python) against a real Skiff: the pytest files
// in test/sdk-python/ run from here, with a server, the local test site and a scripted model.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  startScriptedLlm,
  type ReceivedRequest,
  type ScriptedLlm,
  type ScriptedTurn,
} from "./fixtures/scripted-llm.ts";
import { startFakeSearxng, type FakeSearxng } from "./fixtures/searxng.ts";
import { startTestSite, type TestSite } from "./fixtures/site/test-site.ts";
import { startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const PYTHON = path.join(ROOT, ".skiff", "python", "bin", "python");
const SUITE = path.join(ROOT, "test", "sdk-python");
const ADMIN_KEY = "the-admin-key-of-this-test";
/** Under node --test's own 180 s, so a hung run still ends with pytest's output. */
const PYTEST_DEADLINE_MS = 150_000;

/**
 * The scripted model: line numbers for highlights, JSON for a structured answer (extract), and
 * prose for everything else (questions, interact prompts).
 */
function answerOf(request: ReceivedRequest): ScriptedTurn {
  const said = JSON.stringify(request.messages);
  if (said.includes("JSON array of the line numbers")) return { text: "[0]" };
  if (request.responseFormat) return { text: JSON.stringify({ title: "Skiff Test Article" }) };
  return { text: "The title is Skiff Test Article." };
}

let llm: ScriptedLlm;
let server: RunningSkiff;
let site: TestSite;
let searxng: FakeSearxng;

/** What the search backend finds for any query: three pages of the local test site. */
function searchResults(siteUrl: string) {
  const result = (path: string, title: string, content: string) => ({
    url: `${siteUrl}${path}`,
    title,
    content,
  });
  return {
    general: [
      result("/article", "Article result", "What the engine said about the article."),
      result("/tabs", "Tabs result", "What the engine said about the tabs."),
      result("/form", "Form result", "What the engine said about the form."),
    ],
  };
}

before(async () => {
  llm = await startScriptedLlm(answerOf);
  [searxng, site] = await Promise.all([startFakeSearxng(), startTestSite()]);
  searxng.results = searchResults(site.url);
  server = await startSkiff({
    AUTH: "keys",
    ADMIN_API_KEY: ADMIN_KEY,
    TEAM_MAX_CONCURRENT_SESSIONS: "2",
    SESSION_WARM_POOL: "1",
    OPENAI_BASE_URL: llm.baseUrl,
    OPENAI_API_KEY: "scripted",
    MODEL_NAME: "scripted",
    SEARXNG_ENDPOINT: searxng.url,
  });
});
after(() => Promise.all([server.close(), site.close(), llm.close(), searxng.close()]));

async function teamKey(name: string, credits: number): Promise<string> {
  const res = await fetch(`${server.url}/admin/v1/teams`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ name, credits }),
  });
  const body = (await res.json()) as { apiKey?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.apiKey ?? "";
}

/** How many tests the suite defines, so a skipped or uncollected one fails the run. */
function definedTests(): number {
  const files = readdirSync(SUITE).filter((f) => /^test_.*\.py$/.test(f));
  const sources = files.map((f) => readFileSync(path.join(SUITE, f), "utf8"));
  return sources.reduce((n, source) => n + (source.match(/^def test_/gm)?.length ?? 0), 0);
}

interface PytestRun {
  code: number | null;
  output: string;
}

/** pytest's exit code and everything it printed; killed past the deadline. */
function pytest(env: Record<string, string>): Promise<PytestRun> {
  const args = ["-m", "pytest", SUITE, "-q", "-p", "no:cacheprovider"];
  const child = spawn(PYTHON, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      PYTHONDONTWRITEBYTECODE: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const deadline = setTimeout(() => {
    output += `\n[killed: pytest ran past ${PYTEST_DEADLINE_MS} ms]\n`;
    child.kill("SIGKILL");
  }, PYTEST_DEADLINE_MS);
  return new Promise((resolve) =>
    child.once("close", (code) => {
      clearTimeout(deadline);
      resolve({ code, output });
    }),
  );
}

describe("firecrawl-py against Skiff", () => {
  it("passes every test of test/sdk-python", async (t) => {
    assert.ok(
      existsSync(PYTHON),
      `no ${PYTHON}: ./skiff setup makes it (python/requirements.lock)`,
    );
    const env = {
      SKIFF_URL: server.url,
      SITE_URL: site.url,
      SKIFF_KEY: await teamKey("python-sdk", 100_000),
      SKIFF_POOR_KEY: await teamKey("python-sdk-poor", 5),
      SKIFF_OTHER_KEY: await teamKey("python-sdk-other", 1_000),
    };
    const run = await pytest(env);
    assert.equal(run.code, 0, run.output);
    const summary = /^(\d+) passed in [\d.]+s/m.exec(run.output);
    assert.ok(summary, `not only passes:\n${run.output}`);
    assert.equal(Number(summary[1]), definedTests(), run.output);
    t.diagnostic(summary[0]);
  });
});
