// A throwaway Postgres cluster for a test file: Debian's binaries, `initdb` into a temp dir (as the
// `postgres` user when root, since Postgres refuses root), fsync off, reachable only through a
// Unix socket in that dir, removed when the file's tests end. Nothing is left running.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

export interface ThrowawayPostgres {
  /** A new, empty database on the cluster; its connection URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): void;
}

const PORT = 5432;
let databases = 0;

/** Debian's Postgres binaries (`/usr/lib/postgresql/<version>/bin`), newest first. */
export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions
    .map((v) => path.join(root, v, "bin"))
    .find((dir) => existsSync(path.join(dir, "initdb")));
}

/** A system tool by its full path: a plain PATH (as CI's) often lacks the sbin folders. */
function sbinTool(name: string): string {
  const found = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
    .map((dir) => path.join(dir, name))
    .find((file) => existsSync(file));
  if (!found) throw new Error(`${name} not found in /usr/sbin, /sbin, /usr/bin or /bin`);
  return found;
}

/**
 * Starts a cluster, or returns undefined when Postgres is not installed, so that the caller can
 * skip loudly. With SKIFF_REQUIRE_POSTGRES=1 (as CI sets it), a missing Postgres is an error.
 */
export function startThrowawayPostgres(): ThrowawayPostgres | undefined {
  const bin = postgresBinDir();
  if (!bin) {
    if (process.env.SKIFF_REQUIRE_POSTGRES === "1") {
      throw new Error("SKIFF_REQUIRE_POSTGRES=1 but no /usr/lib/postgresql/*/bin/initdb exists");
    }
    return undefined;
  }
  const root = mkdtempSync(path.join(tmpdir(), "skiff-pg-"));
  const data = path.join(root, "data");
  mkdirSync(data);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync(sbinTool("chown"), ["-R", "postgres:postgres", root]);
  const runuser = asRoot ? sbinTool("runuser") : "";
  const run = (tool: string, args: string[]) => {
    const [cmd, argv] = asRoot
      ? [runuser, ["-u", "postgres", "--", path.join(bin, tool), ...args]]
      : [path.join(bin, tool), args];
    const result = spawnSync(cmd, argv, { encoding: "utf8" });
    if (result.error) throw new Error(`${tool} could not start: ${result.error.message}`);
    if (result.status !== 0) {
      throw new Error(`${tool} failed (${result.status}): ${result.stderr || result.stdout}`);
    }
  };
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const options = [
    `-p ${PORT}`,
    `-k ${root}`,
    "-c listen_addresses=''",
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=200",
  ].join(" ");
  run("pg_ctl", ["-D", data, "-o", options, "-w", "-l", path.join(root, "log"), "start"]);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  process.once("exit", stop);
  const urlOf = (db: string) =>
    `postgresql://postgres@localhost/${db}?host=${encodeURIComponent(root)}&port=${PORT}`;
  return {
    async createDatabase(name = `skiff_${process.pid}_${++databases}`) {
      const admin = new pg.Client({ connectionString: urlOf("postgres") });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return urlOf(name);
    },
    stop,
  };
}
