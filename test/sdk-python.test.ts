// The official Python SDK (firecrawl-py, in .skiff/python) against a real Skiff: the pytest files
// in test/sdk-python/ run from here, with a server, the local test site and a scripted model.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startScriptedLlm, type ScriptedLlm } from "./fixtures/scripted-llm.ts";
import { startTestSite, type TestSite } from "./fixtures/site/test-site.ts";
import { startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const PYTHON = path.join(ROOT, ".skiff", "python", "bin", "python");
const ADMIN_KEY = "the-admin-key-of-this-test";

let llm: ScriptedLlm;
let server: RunningSkiff;
let site: TestSite;

before(async () => {
  llm = await startScriptedLlm(() => ({ text: "The title is Skiff Test Article." }));
  [server, site] = await Promise.all([
    startSkiff({
      AUTH: "keys",
      ADMIN_API_KEY: ADMIN_KEY,
      TEAM_MAX_CONCURRENT_SESSIONS: "2",
      SESSION_WARM_POOL: "1",
      OPENAI_BASE_URL: llm.baseUrl,
      OPENAI_API_KEY: "scripted",
      MODEL_NAME: "scripted",
    }),
    startTestSite(),
  ]);
});
after(() => Promise.all([server.close(), site.close(), llm.close()]));

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

/** pytest's exit code and everything it printed. */
function pytest(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(PYTHON, ["-m", "pytest", "test/sdk-python", "-q", "-p", "no:cacheprovider"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, output })));
}

describe("firecrawl-py against Skiff", () => {
  it("passes the pytest suite of test/sdk-python", async () => {
    assert.ok(existsSync(PYTHON), `no ${PYTHON}: ./skiff installs it (python/requirements.lock)`);
    const env = {
      SKIFF_URL: server.url,
      SITE_URL: site.url,
      SKIFF_KEY: await teamKey("python-sdk", 100_000),
      SKIFF_POOR_KEY: await teamKey("python-sdk-poor", 5),
      SKIFF_OTHER_KEY: await teamKey("python-sdk-other", 1_000),
    };
    const run = await pytest(env);
    assert.equal(run.code, 0, run.output);
    const summary = /(\d+) passed/.exec(run.output);
    assert.ok(summary && Number(summary[1]) >= 8, run.output);
    assert.doesNotMatch(run.output, /failed|error/i, run.output);
  });
});
