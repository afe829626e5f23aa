import { pino } from "pino";
import type { Logger } from "../../src/log.ts";

/**
 * A logger at info whose lines are kept, parsed, so that a test or a benchmark can read the
 * server's own account (`Fields`: the ones it looks at).
 */
export function recordLog<Fields extends object>(): {
  logger: Logger;
  lines: (Partial<Fields> & { msg?: string })[];
} {
  const lines: (Partial<Fields> & { msg?: string })[] = [];
  const logger = pino(
    { level: "info" },
    { write: (line: string) => lines.push(JSON.parse(line) as Partial<Fields>) },
  );
  return { logger, lines };
}
