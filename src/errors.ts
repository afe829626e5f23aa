/**
 * Every error Skiff answers with: HTTP status, the wire `code` (absent where Firecrawl sends none)
 * and the default message. Messages are Firecrawl's own where it has one, so clients see the same text.
 */
export const ERRORS = {
  BAD_REQUEST: { status: 400, code: "BAD_REQUEST", message: "Bad Request" },
  UNRECOGNIZED_KEYS: {
    status: 400,
    code: "BAD_REQUEST",
    message:
      "Unrecognized key in body -- please review the v2 API documentation for request body changes",
  },
  INVALID_JSON: {
    status: 400,
    code: "BAD_REQUEST_INVALID_JSON",
    message: "Bad request, malformed JSON",
  },
  INVALID_JOB_ID: {
    status: 400,
    code: "BAD_REQUEST",
    message: "Invalid job ID format. Job ID must be a valid UUID.",
  },
  FORMAT_NOT_SUPPORTED: {
    status: 400,
    code: "BAD_REQUEST",
    message: "This format is not supported by Skiff.",
  },
  RESOURCE_FORBIDDEN: {
    status: 403,
    code: undefined,
    message: "You are not allowed to access this resource.",
  },
  FORBIDDEN: { status: 403, code: undefined, message: "Forbidden." },
  BODY_TOO_LARGE: { status: 413, code: undefined, message: "Request body is too large" },
  ROUTE_NOT_FOUND: { status: 404, code: "NOT_FOUND", message: "Not found." },
  JOB_NOT_FOUND: { status: 404, code: undefined, message: "Job not found." },
  /** Crawls and batches say it without the full stop (spec §2.6); other teams get it too. */
  CRAWL_NOT_FOUND: { status: 404, code: undefined, message: "Job not found" },
  CRAWL_FORBIDDEN: { status: 403, code: undefined, message: "Forbidden" },
  MAP_TIMEOUT: {
    status: 408,
    code: "MAP_TIMEOUT",
    message:
      "The map operation timed out before completing. This happens when discovering URLs on a large website takes too long. Try using a more specific starting URL, or increase the timeout parameter if available.",
  },
  /** The message names the host and its address. */
  PRIVATE_TARGET: { status: 403, code: undefined, message: "Blocked insecure target URL" },
  INVALID_PAGINATION: { status: 400, code: undefined, message: "Invalid pagination" },
  FILE_NOT_FOUND: { status: 404, code: "NOT_FOUND", message: "File not found or expired." },
  PROFILE_NOT_FOUND: { status: 404, code: "NOT_FOUND", message: "Profile not found." },
  SESSION_NOT_FOUND: { status: 404, code: undefined, message: "Browser session not found." },
  /** The message says which part of the replay context is missing (spec §2.3 step 5). */
  REPLAY_CONTEXT_UNAVAILABLE: {
    status: 409,
    code: undefined,
    message: "Replay context is unavailable for this scrape job. Please rerun the scrape.",
  },
  REPLAY_FAILED: {
    status: 409,
    code: undefined,
    message:
      "Failed to initialize browser session from the original scrape context. Please rerun the scrape and try again.",
  },
  PROFILE_LOCKED: {
    status: 409,
    code: undefined,
    message:
      "Another session is currently writing to this profile. Only one writer is allowed at a time. You can still access it with saveChanges: false, or try again later.",
  },
  SESSION_DESTROYED: {
    status: 410,
    code: undefined,
    message: "Browser session has been destroyed.",
  },
  TOKEN_MISSING: { status: 401, code: undefined, message: "Unauthorized: Token missing" },
  TOKEN_INVALID: { status: 401, code: undefined, message: "Unauthorized: Invalid token" },
  /** The admin API's guard: no word on why, so a guess learns nothing. */
  ADMIN_UNAUTHORIZED: { status: 401, code: undefined, message: "Unauthorized" },
  TEAM_NOT_FOUND: { status: 404, code: "NOT_FOUND", message: "Team not found." },
  KEY_NOT_FOUND: {
    status: 404,
    code: "NOT_FOUND",
    message: "API key not found or already revoked.",
  },
  /** Spec §1.8, before a scrape. */
  INSUFFICIENT_CREDITS: {
    status: 402,
    code: undefined,
    message:
      "Insufficient credits to perform this request. For more credits, you can upgrade your plan at https://firecrawl.dev/pricing or try changing the request limit to a lower value.",
  },
  /** Spec §2.3 step 7, before a session; the message gives its ttl and estimate. */
  INSUFFICIENT_SESSION_CREDITS: {
    status: 402,
    code: undefined,
    message: "Insufficient credits for a browser session.",
  },
  /** The message says how many requests were used and when to retry; Retry-After says it too. */
  RATE_LIMITED: { status: 429, code: undefined, message: "Rate limit exceeded." },
  /** The message names the limit (spec §2.3 step 7). */
  SESSION_LIMIT: {
    status: 429,
    code: undefined,
    message:
      "You have reached the maximum number of concurrent jobs. Please wait for existing jobs to complete or destroy browser sessions before creating new ones.",
  },
  /** No user code has run yet, so the SDK's retry of a 502 is safe here. */
  SESSION_CREATE_FAILED: {
    status: 502,
    code: undefined,
    message: "Failed to create browser session.",
  },
  /** A prompt or an LLM format on a server with no model provider. */
  LLM_NOT_CONFIGURED: {
    status: 503,
    code: "LLM_NOT_CONFIGURED",
    message:
      "No LLM provider is configured on this server. Set OPENAI_BASE_URL (with OPENAI_API_KEY and MODEL_NAME) for an OpenAI-compatible endpoint, ANTHROPIC_API_KEY for Anthropic, or OLLAMA_BASE_URL for Ollama.",
  },
  /** The model failed, or answered something the requested format does not allow. */
  LLM_EXTRACTION_FAILED: {
    status: 500,
    code: "LLM_EXTRACTION_FAILED",
    message: "The model could not produce the requested format.",
  },
  /** `/v2/search`, or extract's `enableWebSearch`, on a server with no search backend. */
  SEARCH_NOT_CONFIGURED: {
    status: 503,
    code: "SEARCH_NOT_CONFIGURED",
    message:
      "No search backend is configured on this server. Set SEARXNG_ENDPOINT to a SearXNG instance with JSON output enabled.",
  },
  /** The message names the backend and what went wrong (unreachable, an HTTP status, bad JSON). */
  SEARCH_BACKEND_FAILED: {
    status: 502,
    code: "SEARCH_BACKEND_FAILED",
    message: "The search backend failed.",
  },
  /** The message names the backend and the deadline it missed. */
  SEARCH_BACKEND_TIMEOUT: {
    status: 504,
    code: "SEARCH_BACKEND_TIMEOUT",
    message: "The search backend did not answer in time.",
  },
  /** Spec §6: an unknown or another team's extract (upstream's self-host answers 500 here). */
  EXTRACT_NOT_FOUND: { status: 404, code: undefined, message: "Extract job not found" },
  SCRAPE_NO_CACHED_DATA: {
    status: 404,
    code: "SCRAPE_NO_CACHED_DATA",
    message: "No cached data is available for this URL within the requested minAge.",
  },
  SCRAPE_LOCKDOWN_CACHE_MISS: {
    status: 404,
    code: "SCRAPE_LOCKDOWN_CACHE_MISS",
    message: "Lockdown mode serves only cached data, and none is cached for this URL.",
  },
  SCRAPE_TIMEOUT: {
    status: 408,
    code: "SCRAPE_TIMEOUT",
    message:
      "The scrape operation timed out before completing. This happens when a page takes too long to load, render, or process. Possible causes: (1) The website is slow or unresponsive, (2) The page has heavy JavaScript that takes time to execute, (3) The page is very large or has many resources to load, (4) Network latency is high. To fix this, try increasing the timeout parameter in your scrape request, or if using actions, ensure your selectors are correct and the page is ready before actions are executed.",
  },
  CONCURRENCY_QUEUE_TIMEOUT: {
    status: 429,
    code: "CONCURRENCY_QUEUE_TIMEOUT",
    message:
      "The operation timed out while waiting for a concurrency slot to become available. This means that your requests are exhausting the server's concurrent browser limit.",
  },
  /** Firecrawl answers DNS failures with HTTP 200 and success:false. */
  SCRAPE_DNS_RESOLUTION_ERROR: {
    status: 200,
    code: "SCRAPE_DNS_RESOLUTION_ERROR",
    message: "DNS resolution failed for hostname.",
  },
  SCRAPE_SSL_ERROR: {
    status: 500,
    code: "SCRAPE_SSL_ERROR",
    message:
      "An SSL error occurred while scraping the URL. If you're not inputting any sensitive data, try scraping with `skipTlsVerification: true`.",
  },
  SCRAPE_SITE_ERROR: {
    status: 500,
    code: "SCRAPE_SITE_ERROR",
    message: "Specified URL is failing to load in the browser.",
  },
  SCRAPE_ACTION_ERROR: {
    status: 500,
    code: "SCRAPE_ACTION_ERROR",
    message: "Action(s) failed to complete.",
  },
  SCRAPE_UNSUPPORTED_FILE_ERROR: {
    status: 500,
    code: "SCRAPE_UNSUPPORTED_FILE_ERROR",
    message: "Scrape resulted in unsupported file.",
  },
  /** A peer holds the session and could not be asked; never 502, which the SDK would retry. */
  SESSION_NODE_UNAVAILABLE: {
    status: 503,
    code: "SESSION_NODE_UNAVAILABLE",
    message:
      "The node running this browser session did not answer; try again shortly. If it stays silent, the session ends and later calls answer 410.",
  },
  /** The internal port takes only calls a peer signed with CLUSTER_SECRET. */
  HOP_UNAUTHORIZED: {
    status: 401,
    code: "UNAUTHORIZED",
    message:
      "This port takes only calls forwarded by a Skiff node, signed with the cluster's secret.",
  },
  SERVICE_UNAVAILABLE: {
    status: 503,
    code: "SERVICE_UNAVAILABLE",
    message: "The server is not ready or is shutting down; try again shortly.",
  },
  STORE_UNAVAILABLE: {
    status: 503,
    code: "SERVICE_UNAVAILABLE",
    message: "The database cannot be reached; try again shortly.",
  },
  UNKNOWN_ERROR: {
    status: 500,
    code: "UNKNOWN_ERROR",
    message: "An error occurred. Please check your logs for more details.",
  },
} as const satisfies Record<string, { status: number; code: string | undefined; message: string }>;

export type ErrorKind = keyof typeof ERRORS;

/** An error meant for the client: its kind picks status and code; the message may be more specific. */
export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly code: string | undefined;
  readonly details: unknown;

  constructor(kind: ErrorKind, message?: string, options?: { details?: unknown; cause?: unknown }) {
    super(message ?? ERRORS[kind].message, { cause: options?.cause });
    this.name = "AppError";
    this.kind = kind;
    this.status = ERRORS[kind].status;
    this.code = ERRORS[kind].code;
    this.details = options?.details;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
