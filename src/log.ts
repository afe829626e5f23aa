import { pino, type Logger } from "pino";

export type { Logger };

/** The one root logger; modules take a child with their own bindings (scrapeId, sessionId…). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "skiff" } });
}
