import { pino, type Logger } from "pino";

export type { Logger };

/** What code that runs in a session host logs with: pino's Logger, or the host's own (host-log.ts). */
export type LevelLogger = Pick<Logger, "debug" | "info" | "warn" | "error">;

/** The one root logger; modules take a child with their own bindings (scrapeId, sessionId…). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "skiff" } });
}
