// The admin API and `./skiff admin` against a real server with AUTH=keys: teams, keys shown once
// and kept only as hashes, credits, revocation, and the 401s a /v2 route answers.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { hashApiKey } from "../src/auth/api-keys.ts";
import { startSkiff, type RunningSkiff } from "./helpers/skiff-harness.ts";

const ADMIN_KEY = "test-admin-key-0123456789abcdef";
const CLI = path.resolve(import.meta.dirname, "../scripts/admin.ts");
const run = promisify(execFile);

let server: RunningSkiff;
let withoutAdmin: RunningSkiff;
/** Every key the server handed out, to look for on disk at the end. */
const issued: string[] = [];

before(async () => {
  [server, withoutAdmin] = await Promise.all([
    startSkiff({ AUTH: "keys", ADMIN_API_KEY: ADMIN_KEY }),
    startSkiff(),
  ]);
});
after(async () => Promise.all([server.close(), withoutAdmin.close()]));

async function call(
  base: string,
  method: string,
  url: string,
  opts: { body?: unknown; key?: string | null } = {},
): Promise<{ status: number; body: Record<string, any> }> {
  const key = opts.key === undefined ? ADMIN_KEY : opts.key;
  const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const body = opts.body === undefined ? null : JSON.stringify(opts.body);
  const res = await fetch(`${base}${url}`, { method, headers, body });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const admin = (method: string, url: string, opts?: { body?: unknown; key?: string | null }) =>
  call(server.url, method, `/admin/v1${url}`, opts);

async function createTeam(name: string, credits: number): Promise<{ id: string; apiKey: string }> {
  const res = await admin("POST", "/teams", { body: { name, credits } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  issued.push(res.body.apiKey);
  return res.body as { id: string; apiKey: string };
}

const getScrape = (key: string | null) =>
  call(server.url, "GET", `/v2/scrape/${randomUUID()}`, { key });

describe("admin API", () => {
  it("does not exist without ADMIN_API_KEY", async () => {
    const res = await call(withoutAdmin.url, "GET", "/admin/v1/teams");
    assert.equal(res.status, 404);
    assert.equal(res.body.code, "NOT_FOUND");
  });

  it("refuses a missing or wrong admin key before reading the body", async () => {
    const unauthorized = { success: false, error: "Unauthorized" };
    for (const key of [null, "", `${ADMIN_KEY}x`, ADMIN_KEY.slice(1), ADMIN_KEY.toUpperCase()]) {
      const res = await admin("GET", "/teams", { key });
      assert.deepEqual([res.status, res.body], [401, unauthorized], `key ${key}`);
    }
    const post = await admin("POST", "/teams", { body: { bogus: 1 }, key: "wrong" });
    assert.deepEqual([post.status, post.body], [401, unauthorized]);
  });

  it("validates what it is sent", async () => {
    const bad = [
      { name: "", credits: 1 },
      { name: "x", credits: -1 },
      { name: "x", credits: 1.5 },
    ];
    for (const body of [...bad, { name: "x".repeat(201), credits: 0 }, { name: "x" }]) {
      const res = await admin("POST", "/teams", { body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.code, "BAD_REQUEST");
    }
    const extra = await admin("POST", "/teams", { body: { name: "x", credits: 1, plan: "pro" } });
    assert.match(extra.body.error, /Unrecognized key/);
    const { id } = await createTeam("Validation", 0);
    const zero = await admin("POST", `/teams/${id}/credits`, { body: { credits: 0 } });
    assert.equal(zero.status, 400);
  });

  it("creates a team, lists it with its credits, and grants more", async () => {
    const { id, apiKey } = await createTeam("Acme", 100);
    assert.match(apiKey, /^fc-[a-z0-9]{32}$/);
    const listed = (await admin("GET", "/teams")).body.teams.find((t: any) => t.id === id);
    assert.deepEqual(listed, {
      id,
      name: "Acme",
      createdAt: listed.createdAt,
      credits: { granted: 100, remaining: 100 },
    });
    assert.ok(!Number.isNaN(Date.parse(listed.createdAt)));
    const granted = await admin("POST", `/teams/${id}/credits`, { body: { credits: 50 } });
    assert.deepEqual(granted.body, { success: true, remainingCredits: 150 });
    const unknown = await admin("POST", `/teams/${randomUUID()}/credits`, { body: { credits: 5 } });
    assert.deepEqual([unknown.status, unknown.body.error], [404, "Team not found."]);
  });

  it("issues keys, lists them by prefix only, and revokes them once", async () => {
    const { id, apiKey: first } = await createTeam("Keys", 0);
    const second = await admin("POST", `/teams/${id}/keys`);
    issued.push(second.body.apiKey);
    assert.equal(second.status, 200);
    assert.notEqual(second.body.apiKey, first);
    const listed = await admin("GET", `/teams/${id}/keys`);
    const prefixes = listed.body.keys.map((k: { prefix: string }) => k.prefix);
    assert.deepEqual(prefixes, [first.slice(0, 8), second.body.apiKey.slice(0, 8)]);
    assert.deepEqual(Object.keys(listed.body.keys[0]).sort(), [
      "createdAt",
      "id",
      "prefix",
      "revokedAt",
    ]);
    const revoked = await admin("DELETE", `/keys/${second.body.id}`);
    assert.deepEqual([revoked.status, revoked.body], [200, { success: true }]);
    const listedAfter = (await admin("GET", `/teams/${id}/keys`)).body.keys;
    assert.ok(!Number.isNaN(Date.parse(listedAfter[1].revokedAt)));
    assert.equal(listedAfter[0].revokedAt, null);
    for (const keyId of [second.body.id, randomUUID()]) {
      const again = await admin("DELETE", `/keys/${keyId}`);
      assert.equal(again.status, 404);
    }
    assert.equal((await admin("GET", `/teams/${randomUUID()}/keys`)).status, 404);
    assert.equal((await admin("POST", `/teams/${randomUUID()}/keys`)).status, 404);
  });

  it("lets a team's key through /v2 until it is revoked", async () => {
    const { id, apiKey } = await createTeam("Caller", 10);
    const found = await getScrape(apiKey);
    assert.deepEqual([found.status, found.body.error], [404, "Job not found."]);
    const missing = await getScrape(null);
    assert.deepEqual(
      [missing.status, missing.body],
      [401, { success: false, error: "Unauthorized: Token missing" }],
    );
    const keyId = (await admin("GET", `/teams/${id}/keys`)).body.keys[0].id;
    await admin("DELETE", `/keys/${keyId}`);
    const refused = await getScrape(apiKey);
    assert.deepEqual(
      [refused.status, refused.body],
      [401, { success: false, error: "Unauthorized: Invalid token" }],
    );
    assert.equal((await getScrape(ADMIN_KEY)).status, 401, "the admin key is no team key");
  });
});

/** The error of a CLI run that was meant to fail: its exit code and stderr. */
async function failure(running: Promise<unknown>): Promise<{ code: number; stderr: string }> {
  const outcome = await running.then(
    () => assert.fail("the command succeeded"),
    (e: unknown) => e,
  );
  return outcome as { code: number; stderr: string };
}

describe("./skiff admin", () => {
  const cli = (args: string[], adminKey = ADMIN_KEY) =>
    run(process.execPath, [CLI, ...args], {
      env: { ...process.env, ADMIN_API_KEY: adminKey, SKIFF_URL: server.url },
    });

  it("creates a team, printing its id and key, and lists it", async () => {
    const created = await cli(["create-team", "CLI Team", "25"]);
    const id = /team: (\S+)/.exec(created.stdout)?.[1] ?? "";
    const apiKey = /api key: (fc-[a-z0-9]{32})/.exec(created.stdout)?.[1] ?? "";
    issued.push(apiKey);
    assert.equal((await getScrape(apiKey)).status, 404, "the printed key works");
    const teams = await cli(["teams"]);
    const row = teams.stdout.split("\n").find((line) => line.startsWith(id));
    assert.match(row ?? "", /CLI Team\s+25\s+25\s/);
    const keys = await cli(["keys", id]);
    assert.ok(keys.stdout.includes(apiKey.slice(0, 8)) && !keys.stdout.includes(apiKey));
  });

  it("says what went wrong and exits 1", async () => {
    const refused = await failure(cli(["teams"], "wrong-admin-key-0123456789"));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /HTTP 401: Unauthorized/);
    const unknown = await failure(cli(["add-credits", randomUUID(), "5"]));
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /HTTP 404: Team not found/);
  });
});

/** A file's bytes, or nothing when it went away after it was listed (a temporary file). */
function readIfThere(file: string): Buffer[] {
  try {
    return [readFileSync(file)];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
}

describe("keys at rest", () => {
  it("are nowhere in DATA_DIR in plain text, only as hashes", () => {
    assert.ok(issued.length >= 5 && issued.every((k) => k.startsWith("fc-")));
    const files = readdirSync(server.dataDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .flatMap((e) => readIfThere(path.join(e.parentPath, e.name)));
    assert.ok(files.length >= 2, "the database and its WAL at least");
    for (const key of issued) {
      assert.ok(!files.some((bytes) => bytes.includes(key)), `${key.slice(0, 8)}… is on disk`);
      const hash = hashApiKey(key);
      assert.ok(
        files.some((bytes) => bytes.includes(hash)),
        "its hash is, so the search reads the data",
      );
    }
  });
});
