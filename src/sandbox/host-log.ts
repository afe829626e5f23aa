// The session host's logger: lines in pino's shape (one JSON object each, on stdout, which the
// server logs as the host's output), without pino. A host runs beside every session and writes
// a handful of lines (its start, its end, a worker's trouble); loading pino cost each host ~12 ms
// of CPU at its start and ~0.5 MB of its idle memory, measured.
import type { LevelLogger } from "../log.ts";

/** pino's numbers for its level names; a level logs what is at it or above it. */
const LEVELS: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

type Write = (line: string) => void;

export function createHostLogger(
  level: string,
  write: Write = (line) => process.stdout.write(line),
): LevelLogger {
  const threshold = LEVELS[level];
  if (threshold === undefined) throw new Error(`unknown log level "${level}"`);
  const at = (name: keyof LevelLogger) => {
    const value = LEVELS[name]!;
    return (first: unknown, msg?: string) => {
      if (value >= threshold) write(`${JSON.stringify(record(value, first, msg))}\n`);
    };
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** `log(fields, msg)` or `log(msg)`, as pino takes them; an Error in a field as pino shows one. */
function record(level: number, first: unknown, msg: string | undefined): Record<string, unknown> {
  const line: Record<string, unknown> = { level, time: Date.now(), service: "skiff" };
  if (typeof first === "string") return { ...line, msg: first };
  if (first instanceof Error)
    return { ...line, err: describeError(first), msg: msg ?? first.message };
  if (typeof first === "object" && first !== null) {
    for (const [key, value] of Object.entries(first)) {
      line[key] = value instanceof Error ? describeError(value) : value;
    }
  }
  return msg === undefined ? line : { ...line, msg };
}

function describeError(err: Error): Record<string, unknown> {
  return { type: err.constructor.name, message: err.message, stack: err.stack };
}

export type LevelName = "trace" | "debug" | "info" | "warn" | "error" | "fatal";

/** A line as the server logs it again: at the host's level, with the host's fields. */
export interface HostLogLine {
  level: LevelName;
  fields: Record<string, unknown>;
  msg: string | undefined;
}

/**
 * Reads back a line this logger wrote (the host's stdout), so the server logs it at the host's
 * own level; undefined for any other line. Its time and service give way to the server's.
 */
export function parseHostLogLine(line: string): HostLogLine | undefined {
  if (!line.startsWith("{")) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { level, msg, ...fields } = parsed as Record<string, unknown>;
  delete fields.time;
  delete fields.service;
  const name = Object.entries(LEVELS).find(([, value]) => value === level)?.[0];
  if (name === undefined || name === "silent") return undefined;
  return { level: name as LevelName, fields, msg: typeof msg === "string" ? msg : undefined };
}
