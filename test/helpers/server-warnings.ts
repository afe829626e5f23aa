// What the test servers warned about: the harness's servers log into this, and a test that fails
// prints it (print-server-warnings.ts, loaded into every test file by scripts/run-tests.ts).
import { pino } from "pino";
import type { Logger } from "../../src/log.ts";

/** The servers' warnings and errors since the current test began, one JSON line each. */
const recentWarnings: string[] = [];
const MAX_RECENT_WARNINGS = 300;

/**
 * The servers' logger: warnings and errors kept for the current test, and with
 * SKIFF_TEST_LOG_LEVEL set, every line at that level on stdout as it happens.
 */
function testLogger(): Logger {
  const keep = (line: string) => {
    recentWarnings.push(line);
    if (recentWarnings.length > MAX_RECENT_WARNINGS) recentWarnings.shift();
  };
  const streams: pino.StreamEntry[] = [{ level: "warn", stream: { write: keep } }];
  const shown = process.env.SKIFF_TEST_LOG_LEVEL ?? "silent";
  const shownValue = pino.levels.values[shown]; // undefined for "silent"
  if (shownValue !== undefined)
    streams.push({ level: shown as pino.Level, stream: process.stdout });
  const level = shownValue !== undefined && shownValue < 40 ? shown : "warn";
  return pino({ level, base: { service: "skiff" } }, pino.multistream(streams));
}
export const serversLogger = testLogger();

/** The warnings and errors servers this process started logged in the current test, parsed. */
export function serverWarnings(): Record<string, unknown>[] {
  return recentWarnings.map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The current test's lines, which are then forgotten: the next test starts with none. */
export function takeServerWarnings(): string[] {
  return recentWarnings.splice(0);
}
