import path from "node:path";
import Database from "better-sqlite3";

/** A reply as a test reads it: status, headers and the parsed JSON body. */
export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, any>;
}

/** One request, with a JSON body and a bearer key when given. */
export async function call(
  base: string,
  method: string,
  url: string,
  body?: unknown,
  key?: string,
): Promise<Reply> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      ...(key !== undefined && { authorization: `Bearer ${key}` }),
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, any>;
  return { status: res.status, headers: res.headers, body: json };
}

/** A team's credit ledger in a SQLite DATA_DIR, oldest first: grants and charges. */
export function ledgerOf(
  dataDir: string,
  teamId: string,
): { delta: number; reason: string; ref: string }[] {
  const db = new Database(path.join(dataDir, "skiff.db"), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare("SELECT delta, reason, ref FROM credit_ledger WHERE team_id = ? ORDER BY id")
      .all(teamId) as { delta: number; reason: string; ref: string }[];
  } finally {
    db.close();
  }
}
