// Dependencies point one way: api → domain folders → browser/sandbox/store/net → shared helpers.
// The session host runs inside the sandbox and drives the runtimes (sandbox → runtimes); the node
// runtime replays a scrape's actions with the scrape's own action runner (runtimes → scrape).
// Crawls and batches run their pages through the scrape pipeline on the job queue (crawl → jobs).
// A node's membership of the store (heartbeats, reaping dead peers) and the forwarding of session
// calls to their node live in cluster → store; the API routes calls through it (api → cluster).
// Search asks its backend and scrapes the results through the scrape pipeline (search → scrape).
// This test reads every import in src/ and fails on an arrow that points the wrong way.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";

const src = path.resolve(import.meta.dirname, "../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+["']([^"']+)["']/gm)].map(
    (m) => m[1] ?? "",
  );
}

/** The top folder (or root file) of src/ a file or import target lives in. */
function layerOf(file: string): string {
  return path.relative(src, file).split(path.sep)[0] ?? "";
}

/** Which layers may import which; the root files (main, server, app) may import anything. */
const SHARED = ["errors.ts", "config.ts", "log.ts"];
const ALLOWED: Record<string, string[]> = {
  api: [
    "cluster",
    "crawl",
    "extract",
    "search",
    "sessions",
    "scrape",
    "profiles",
    "auth",
    "billing",
    "files",
    "store",
    "net",
    "browser",
    ...SHARED,
  ],
  sessions: [
    "agent",
    "scrape",
    "profiles",
    "sandbox",
    "runtimes",
    "billing",
    "browser",
    "files",
    "store",
    "net",
    ...SHARED,
  ],
  billing: ["store", ...SHARED],
  // The crawl runner also runs extract jobs (start-crawls.ts); an extract maps through crawl's mapper.
  crawl: ["agent", "jobs", "scrape", "search", "extract", "billing", "store", "net", ...SHARED],
  extract: ["agent", "crawl", "jobs", "scrape", "search", "billing", "store", "net", ...SHARED],
  search: ["scrape", "billing", "store", "net", ...SHARED],
  jobs: ["store", ...SHARED],
  cluster: ["store", "net", ...SHARED],
  scrape: ["billing", "browser", "files", "store", "net", "profiles", ...SHARED],
  profiles: ["store", ...SHARED],
  runtimes: ["browser", "scrape", ...SHARED],
  sandbox: ["runtimes", "scrape", "browser", "net", ...SHARED],
  auth: ["store", ...SHARED],
  files: ["store", ...SHARED],
  agent: SHARED,
  browser: SHARED,
  net: SHARED,
  store: SHARED,
};

describe("dependency direction", () => {
  const files = sourceFiles(src);
  it("finds the source tree", () => assert.ok(files.length > 10));
  it("has a rule for every folder of src", () => {
    const folders = new Set(files.map(layerOf).filter((layer) => !layer.endsWith(".ts")));
    for (const folder of folders) assert.ok(ALLOWED[folder], `no rule for src/${folder}`);
  });
  for (const file of files) {
    const layer = layerOf(file);
    const allowed = ALLOWED[layer];
    if (!allowed) continue;
    it(`${path.relative(src, file)} imports only what its layer may`, () => {
      for (const spec of importsOf(file)) {
        if (spec === "fastify" || spec.startsWith("@fastify/")) {
          assert.equal(layer, "api", `${spec} is transport: only api/ may import it`);
        }
        if (!spec.startsWith(".")) continue;
        const target = layerOf(path.resolve(path.dirname(file), spec));
        if (target === layer) continue;
        assert.ok(allowed.includes(target), `${layer}/ must not import ${target} (${spec})`);
      }
    });
  }
});

/** Imports that load code when the file does: not `import type`, not a dynamic `import()`. */
function valueImportsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [
    ...text.matchAll(/^\s*(?:import(?!\s+type\b)|export)\b[^'"]*?from\s+["']([^"']+)["']/gm),
  ].map((m) => m[1] ?? "");
}

/** Packages a file loads with `require` when it runs: `require("…")`, `createRequire(…)("…")`. */
function requiredPackagesOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:\brequire|createRequire\([^)]*\))\(\s*["']([^"'.][^"']*)["']/g)].map(
    (m) => packageOf(m[1] ?? ""),
  );
}

/** "playwright-core/lib/utilsBundle" is playwright-core; "@scope/name/x" is @scope/name. */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return parts.slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
}

/**
 * What the static value imports reached from `entry` load, Node's own modules aside: the packages
 * imported through Node's ES module loader, and those the files reached require.
 */
function packagesLoadedBy(entry: string): {
  files: number;
  imported: string[];
  required: string[];
} {
  const imported = new Set<string>();
  const required = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of valueImportsOf(file)) {
      if (spec.startsWith(".")) visit(path.resolve(path.dirname(file), spec));
      else if (!spec.startsWith("node:")) imported.add(packageOf(spec));
    }
    for (const name of requiredPackagesOf(file)) required.add(name);
  };
  visit(entry);
  return { files: seen.size, imported: [...imported].sort(), required: [...required].sort() };
}

// Every session host loads these in its own sandbox: a package more there is memory more in every
// idle session. Acorn (1 MB) stays out of both threads: the server prepares node code for hosts
// (session-calls.ts); the worker's WebSocket is the ws that Playwright bundles. The worker
// requires Playwright rather than importing it: an import makes Node's module loader read and scan
// the 3.6 MB core bundle for export names while it links the worker, in every session's start.
describe("what a session host loads", () => {
  it("in its worker: Playwright alone, beyond Node's own modules, and by require", () => {
    const loaded = packagesLoadedBy(path.join(src, "runtimes/node-worker.ts"));
    assert.ok(loaded.files > 3, `followed ${loaded.files} files`);
    assert.deepEqual(loaded, { files: loaded.files, imported: [], required: ["playwright-core"] });
  });

  it("before its worker starts: no package, and few files", () => {
    const loaded = packagesLoadedBy(path.join(src, "sandbox/session-host-main.ts"));
    assert.deepEqual(loaded, { files: loaded.files, imported: [], required: [] });
    assert.ok(loaded.files <= 10, `session-host-main.ts loads ${loaded.files} files first`);
  });

  it("on its main thread: no package, not even the server's logger (host-log.ts)", () => {
    const loaded = packagesLoadedBy(path.join(src, "sandbox/session-host.ts"));
    assert.ok(loaded.files > 10, `followed ${loaded.files} files`);
    assert.deepEqual(loaded, { files: loaded.files, imported: [], required: [] });
  });
});
