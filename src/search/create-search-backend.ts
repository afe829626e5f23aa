import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { SearchBackend } from "./search-backend.ts";
import { SearxngBackend } from "./searxng-backend.ts";

/** The configured search backend, or undefined when none is (search then answers 503). */
export function createSearchBackend(config: Config, logger: Logger): SearchBackend | undefined {
  if (!config.SEARXNG_ENDPOINT) return undefined;
  return new SearxngBackend({
    endpoint: config.SEARXNG_ENDPOINT,
    engines: config.SEARXNG_ENGINES,
    categories: config.SEARXNG_CATEGORIES,
    logger,
  });
}
