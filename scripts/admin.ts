// `./skiff admin …`: the admin API (/admin/v1) from a terminal, against a running Skiff.
// The server is SKIFF_URL (default http://127.0.0.1:<PORT>); the admin key is ADMIN_API_KEY,
// both from the same environment the server reads.
import { ConfigError, loadClientConfig } from "../src/config.ts";

const USAGE = `usage: ./skiff admin <command>
  create-team <name> <credits>     a new team with credits and its first API key
  teams                            every team with its credits
  add-credits <teamId> <credits>   grant a team more credits
  create-key <teamId>              another API key for a team
  keys <teamId>                    a team's keys (their prefixes; a key is shown only once)
  revoke-key <keyId>               revoke a key: its next request is refused
The server is SKIFF_URL (default http://127.0.0.1:$PORT); ADMIN_API_KEY must be set.`;

const REQUEST_TIMEOUT_MS = 15_000;

/** A failure to tell the person at the terminal, without a stack trace. */
class CliError extends Error {}

type Json = Record<string, unknown>;
type Call = (method: string, path: string, body?: Json) => Promise<Json>;

interface TeamJson {
  id: string;
  name: string;
  createdAt: string;
  credits: { granted: number; remaining: number };
}

interface KeyJson {
  id: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

interface Command {
  args: string[];
  run(call: Call, args: string[]): Promise<string>;
}

const COMMANDS: Record<string, Command> = {
  "create-team": {
    args: ["name", "credits"],
    async run(call, [name = "", credits = ""]) {
      const body = { name, credits: wholeNumber(credits) };
      return issuedKey(await call("POST", "/teams", body), "team");
    },
  },
  teams: {
    args: [],
    async run(call) {
      return teamTable((await call("GET", "/teams")).teams as TeamJson[]);
    },
  },
  "add-credits": {
    args: ["teamId", "credits"],
    async run(call, [teamId = "", credits = ""]) {
      const body = { credits: wholeNumber(credits) };
      const reply = await call("POST", `/teams/${encodeURIComponent(teamId)}/credits`, body);
      return `team ${teamId} now has ${String(reply.remainingCredits)} credits`;
    },
  },
  "create-key": {
    args: ["teamId"],
    async run(call, [teamId = ""]) {
      return issuedKey(await call("POST", `/teams/${encodeURIComponent(teamId)}/keys`), "key id");
    },
  },
  keys: {
    args: ["teamId"],
    async run(call, [teamId = ""]) {
      const reply = await call("GET", `/teams/${encodeURIComponent(teamId)}/keys`);
      return keyTable(reply.keys as KeyJson[]);
    },
  },
  "revoke-key": {
    args: ["keyId"],
    async run(call, [keyId = ""]) {
      await call("DELETE", `/keys/${encodeURIComponent(keyId)}`);
      return `revoked key ${keyId}`;
    },
  },
};

function wholeNumber(text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isSafeInteger(n)) {
    throw new CliError(`credits must be a whole number, not '${text}'`);
  }
  return n;
}

function issuedKey(reply: Json, idLabel: string): string {
  return [
    `${idLabel}: ${String(reply.id)}`,
    `api key: ${String(reply.apiKey)}`,
    "Keep the key now: Skiff stores only its hash and cannot show it again.",
  ].join("\n");
}

function teamTable(teams: TeamJson[]): string {
  if (teams.length === 0) return "no teams yet (create one with: ./skiff admin create-team)";
  const rows = teams.map((t) => [
    t.id,
    t.name,
    String(t.credits.remaining),
    String(t.credits.granted),
    t.createdAt,
  ]);
  return table([["ID", "NAME", "REMAINING", "GRANTED", "CREATED"], ...rows]);
}

function keyTable(keys: KeyJson[]): string {
  if (keys.length === 0) return "this team has no keys";
  const rows = keys.map((k) => [k.id, `${k.prefix}…`, k.createdAt, k.revokedAt ?? "active"]);
  return table([["ID", "KEY", "CREATED", "REVOKED"], ...rows]);
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** The admin key and the server's address, from the environment the server itself reads. */
function target(): { baseUrl: string; adminKey: string } {
  const config = loadClientConfig();
  if (config.ADMIN_API_KEY === undefined) {
    throw new CliError("ADMIN_API_KEY is not set: set it to the admin key the server runs with");
  }
  const server = process.env.SKIFF_URL ?? `http://127.0.0.1:${config.PORT}`;
  return { baseUrl: `${server.replace(/\/+$/, "")}/admin/v1`, adminKey: config.ADMIN_API_KEY };
}

function client(baseUrl: string, adminKey: string): Call {
  return async (method, path, body) => {
    const url = `${baseUrl}${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${adminKey}` };
    if (body) headers["content-type"] = "application/json";
    const init = { method, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
    const res = await fetch(url, { ...init, ...(body && { body: JSON.stringify(body) }) }).catch(
      (e: unknown) => {
        throw new CliError(`cannot reach Skiff at ${baseUrl}: ${causeOf(e)}`);
      },
    );
    const reply = (await res.json().catch(() => ({}))) as Json;
    if (!res.ok || reply.success !== true) throw new CliError(failure(method, url, res, reply));
    return reply;
  };
}

function failure(method: string, url: string, res: Response, reply: Json): string {
  const said = `${method} ${url}: HTTP ${res.status}: ${typeof reply.error === "string" ? reply.error : res.statusText}`;
  // The app's own 404 for a route it lacks: the admin routes exist only with ADMIN_API_KEY set.
  if (res.status === 404 && String(reply.error).startsWith("Not found:")) {
    return `${said}\n(is the server running with ADMIN_API_KEY set? Without it there is no admin API)`;
  }
  if (res.status === 401) return `${said}\n(ADMIN_API_KEY here differs from the server's)`;
  return said;
}

function causeOf(e: unknown): string {
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  return cause instanceof Error ? cause.message : String(cause);
}

async function main(argv: string[]): Promise<string> {
  const [name, ...args] = argv;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command)
    throw new CliError(name === undefined ? USAGE : `unknown command '${name}'\n${USAGE}`);
  if (args.length !== command.args.length) {
    const expected = command.args.map((a) => `<${a}>`).join(" ");
    throw new CliError(`usage: ./skiff admin ${name} ${expected}`.trimEnd());
  }
  const { baseUrl, adminKey } = target();
  return command.run(client(baseUrl, adminKey), args);
}

if (["help", "-h", "--help"].includes(process.argv[2] ?? "")) {
  console.log(USAGE);
} else {
  await main(process.argv.slice(2)).then(
    (output) => console.log(output),
    (e: unknown) => {
      if (!(e instanceof CliError || e instanceof ConfigError)) throw e;
      console.error(`skiff admin: ${e.message}`);
      process.exitCode = 1;
    },
  );
}
